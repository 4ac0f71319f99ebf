#!/usr/bin/env bash
# Whole-process speed and peak memory of `kafkagen render`, as users run it.
# Needs hyperfine and GNU time (Debian packages `hyperfine` and `time`);
# installs them with apt-get when missing and run as root.
# Also times `helm template` of the Bitnami Kafka chart for the same clusters
# as lb-3, lb-300 and lb-3000 with every feature on, side by side with
# kafkagen in one hyperfine run per size, and prints the ratios of the
# medians (helm and the chart: bench/helm/setup.sh).
# Usage: bench/run.sh [RUNS]   (default 500; prints Markdown tables; docs/speed.md, "Speed")
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-500}

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The binary as shipped (`cargo release-static`, .cargo/config.toml), and the
# dynamically linked `cargo build --release` for comparison.
cargo release-static --quiet
cargo build --release --quiet
bin="$PWD/target/x86_64-unknown-linux-gnu/release/kafkagen"
dynamic="$PWD/target/release/kafkagen"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# helm and the chart (bench/helm/setup.sh): $helm_cmd, or why not in $helm_skip.
. bench/helm/setup.sh

. bench/lb.sh
# production profile as is: 3 brokers, 3 ZooKeeper servers, internal only.
printf 'name: bench\nprofile: production\n' > "$dir/production-3.yaml"
for n in 3 30 300 3000; do lb "$n" > "$dir/lb-$n.yaml"; done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
linking=static
readelf -l "$bin" | grep -q 'program interpreter' && linking=dynamic
echo "kafkagen $("$bin" --version | cut -d' ' -f2) (linked $linking), hyperfine $(hyperfine --version | cut -d' ' -f2)"
echo
# Median, mean and standard deviation of a command over RUNS runs, in ms.
stats() {
  local n=$1
  shift
  hyperfine -N --warmup 3 --runs "$n" --export-json "$dir/m.json" "$@" >/dev/null 2>&1
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(r["median"] * 1000, r["mean"] * 1000, r["stddev"] * 1000)' "$dir/m.json"
}
median() {
  LC_ALL=C printf '%.1f' "$(stats "$runs" "$@" | cut -d' ' -f1)"
}
echo "process start floor on this machine: /bin/true takes $(median /bin/true) ms (median)"
echo
echo "| spec | objects | output | median | mean ± σ | peak RSS |"
echo "|---|---:|---:|---:|---:|---:|"
for spec in production-3 lb-3 lb-30 lb-300 lb-3000; do
  file="$dir/$spec.yaml"
  n=$runs
  [ "$spec" = lb-3000 ] && n=$(( runs < 30 ? runs : 30 ))
  read -r median mean sd < <(stats "$n" "$bin render $file")
  objects=$("$bin" render "$file" 2>/dev/null | grep -c '^kind:')
  bytes=$("$bin" render "$file" 2>/dev/null | wc -c)
  # Peak resident memory, the largest of 5 runs.
  peak=0
  for _ in 1 2 3 4 5; do
    kb=$( { /usr/bin/time -f '%M' "$bin" render "$file" >/dev/null; } 2>&1 | tail -1)
    [ "$kb" -gt "$peak" ] && peak=$kb
  done
  printf '| %s | %s | %s KiB | %.1f ms | %.1f ± %.1f ms | %.1f MiB |\n' \
    "$spec" "$objects" "$(( bytes / 1024 ))" "$median" "$mean" "$sd" "$(awk -v kb="$peak" 'BEGIN { print kb / 1024 }')"
done

echo
echo "| build | --version | production-3 |"
echo "|---|---:|---:|"
for b in "$bin" "$dynamic"; do
  name="cargo release-static"
  [ "$b" = "$dynamic" ] && name="cargo build --release (dynamic)"
  printf '| %s | %s ms | %s ms |\n' "$name" "$(median "$b --version")" "$(median "$b render $dir/production-3.yaml")"
done

# helm template of the Bitnami chart for the same clusters, side by side with
# kafkagen in one hyperfine run per size: lb-N with every feature of the
# production profile on, and the chart given the values that turn on the
# same (bench/helm/production-3.values.yaml for the cluster and metrics,
# helm_lb in bench/helm/setup.sh for TLS, SASL and a LoadBalancer per broker).
echo
if [ -n "$helm_skip" ]; then
  echo "helm comparison skipped: $helm_skip"
else
  echo "helm $("$helm" version --template '{{.Version}}'), chart bitnami/kafka $(sed -n 's/^version: //p' "$chart/Chart.yaml") (KRaft: 3 controllers; TLS between brokers, SASL, metrics, alerts, one LoadBalancer per broker)"
  echo
  echo "| spec | kafkagen objects | helm objects | kafkagen median | helm template median | ratio |"
  echo "|---|---:|---:|---:|---:|---:|"
  for n in 3 300 3000; do
    helm_lb "$n" > "$dir/helm-lb-$n.yaml"
    h="$helm_cmd --values $dir/helm-lb-$n.yaml"
    k="$bin render $dir/lb-$n.yaml"
    r=$runs
    [ "$n" = 300 ] && r=$(( runs < 30 ? runs : 30 ))
    [ "$n" = 3000 ] && r=$(( runs < 5 ? runs : 5 ))
    hyperfine -N --warmup 1 --runs "$r" --export-json "$dir/h.json" "$k" "$h" >/dev/null 2>&1
    ko=$($k 2>/dev/null | grep -c '^kind:')
    ho=$($h 2>/dev/null | grep -c '^kind:')
    python3 -c '
import json, sys
k, h = (r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"])
print("| lb-%s | %s | %s | %.1f ms | %.1f ms | %.1fx |" % (sys.argv[2], sys.argv[3], sys.argv[4], k, h, h / k))' \
      "$dir/h.json" "$n" "$ko" "$ho"
  done
fi
