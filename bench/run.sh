#!/usr/bin/env bash
# Whole-process speed and peak memory of `kafkagen render`, as users run it.
# Needs hyperfine and GNU time (Debian packages `hyperfine` and `time`);
# installs them with apt-get when missing and run as root.
# Also times `helm template` of the Bitnami Kafka chart for the same cluster as
# the production-3 spec, side by side with kafkagen in one hyperfine run, and
# prints the ratio of the medians. helm is built from the Go module proxy into
# target/bench-tools (Go: /usr/local/go, or Debian's golang-go plus the Go 1.26
# toolchain from the proxy); the chart comes from the proxy's copy of
# github.com/bitnami/charts, values in bench/helm/production-3.values.yaml.
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

# helm and the Bitnami Kafka chart, pinned, both from the Go module proxy:
# helm built from its module, the chart read from the proxy's copy of
# github.com/bitnami/charts (bitnami/kafka 32.4.4, KRaft only, with
# bitnami/common 2.31.10 put in its charts/).
helm_version=v3.21.4
charts_module=github.com/bitnami/charts@v0.0.0-20260907150927-c0703daaf78e
tools="$PWD/target/bench-tools"
helm_values="$PWD/bench/helm/production-3.values.yaml"
helm="$tools/helm-$helm_version/helm"
chart="$dir/kafka"
helm_skip=
[ -d /usr/local/go/bin ] && PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null; then
  apt-get update -qq && apt-get install -y -qq golang-go >/dev/null || true
fi
if ! command -v go >/dev/null; then
  helm_skip="no Go toolchain to fetch helm $helm_version and the chart with"
else
  if [ ! -x "$helm" ]; then
    # helm v3.21 needs Go 1.26; an older go fetches go1.26.8 from the proxy.
    toolchain=$(go env GOTOOLCHAIN)
    have=$(go env GOVERSION)
    [ "$(printf '%s\n' go1.26.0 "$have" | sort -V | head -1)" = go1.26.0 ] || toolchain=go1.26.8+auto
    echo "building helm $helm_version from the Go module proxy into ${helm%/helm} ..." >&2
    if ! (cd "$dir" && GOTOOLCHAIN=$toolchain GOFLAGS=-mod=mod CGO_ENABLED=0 GOBIN="${helm%/helm}" \
      go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version" \
      "helm.sh/helm/v3/cmd/helm@$helm_version") >"$dir/helm-build.log" 2>&1; then
      helm_skip="go install helm.sh/helm/v3/cmd/helm@$helm_version failed: $(tail -1 "$dir/helm-build.log")"
    fi
  fi
  if [ -z "$helm_skip" ]; then
    if charts=$(cd "$dir" && GOFLAGS=-mod=mod GOPATH="$tools/gopath" go mod download -json "$charts_module" \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])'); then
      cp -R "$charts/bitnami/kafka" "$chart"
      mkdir -p "$chart/charts"
      cp -R "$charts/bitnami/common" "$chart/charts/common"
      chmod -R u+w "$chart"
    else
      helm_skip="go mod download $charts_module failed"
    fi
  fi
fi
# Keep helm off the user's helm config and cache.
export HELM_CACHE_HOME="$dir/helm/cache" HELM_CONFIG_HOME="$dir/helm/config" HELM_DATA_HOME="$dir/helm/data"
helm_cmd="$helm template bench $chart --namespace kafka --values $helm_values"
if [ -z "$helm_skip" ] && ! $helm_cmd >"$dir/helm.yaml" 2>"$dir/helm.err"; then
  helm_skip="helm template failed: $(head -1 "$dir/helm.err")"
fi

lb() {
  printf 'name: bench\nprofile: production\nkafka:\n  brokers: %s\n  exposure:\n    mode: loadbalancer\n    hostTemplate: "b{id}.kafka.example.com"\n' "$1"
}
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

# helm template of the Bitnami chart for the same cluster, in the same hyperfine
# run as kafkagen (production-3: 3 brokers, a 3-node quorum, volumes, metrics).
echo
if [ -n "$helm_skip" ]; then
  echo "helm comparison skipped: $helm_skip"
else
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$dir/h.json" \
    "$bin render $dir/production-3.yaml" "$helm_cmd" >/dev/null 2>&1
  echo "helm $("$helm" version --template '{{.Version}}'), chart bitnami/kafka $(sed -n 's/^version: //p' "$chart/Chart.yaml") (KRaft: 3 controllers, 3 brokers; bench/helm/production-3.values.yaml); objects: kafkagen $("$bin" render "$dir/production-3.yaml" | grep -c '^kind:'), helm $(grep -c '^kind:' "$dir/helm.yaml")"
  echo
  echo "| spec | kafkagen median | helm template median | ratio |"
  echo "|---|---:|---:|---:|"
  python3 -c '
import json, sys
k, h = (r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"])
print("| production-3 | %.1f ms | %.1f ms | %.1fx |" % (k, h, h / k))' "$dir/h.json"
fi
