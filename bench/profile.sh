#!/usr/bin/env bash
# Where the time of a whole `kafkagen render` goes, by stage (docs/speed.md,
# "Where the time goes"). Samples RUNS renders of SPEC with `perf record`
# and call graphs (frame pointers: the release profile built with them), and
# charges each sample to the outermost pipeline stage on its stack; samples
# under no stage are start-up and exit (the loader, libc, the kernel).
# Usage: bench/profile.sh [SPEC] [RUNS]   (default: the production profile
# with load balancers at 3 brokers, 300 runs). Needs perf (Debian
# linux-perf); prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${2:-300}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
spec=${1:-}
if [ -z "$spec" ]; then
  spec="$dir/lb-3.yaml"
  . bench/lb.sh
  lb 3 > "$spec"
fi
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }

# The shipped build (cargo release-static) with frame pointers and symbols,
# in a target directory of its own so it never stands in for the shipped one.
export CARGO_TARGET_DIR="$PWD/target/profile"
cargo release-static --quiet \
  --config "target.x86_64-unknown-linux-gnu.rustflags = ['-C', 'target-feature=+crt-static', '-C', 'force-frame-pointers=yes']" \
  --config 'profile.release.debug = "line-tables-only"' --config 'profile.release.strip = false'
bin="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release/kafkagen"
"$bin" render "$spec" > /dev/null

perf record -q -F 20000 -g -o "$dir/perf.data" -- \
  sh -c 'i=0; while [ $i -lt "$2" ]; do "$0" render "$1" > /dev/null; i=$((i + 1)); done' "$bin" "$spec" "$runs" \
  2> "$dir/record.log" || { cat "$dir/record.log"; exit 1; }
perf script -i "$dir/perf.data" --comm kafkagen -F comm,ip,sym 2> /dev/null > "$dir/stacks.txt"
python3 bench/stages.py "$dir/stacks.txt" "$runs" \
  "$(printf '%s, %s runs' "$(basename "$spec")" "$runs")"
