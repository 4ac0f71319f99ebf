#!/usr/bin/env bash
# Server-side dry run of rendered manifests against a real kube-apiserver
# (k8s.io/kubernetes from the Go module proxy, the version in go.mod) and
# etcd, on loopback, with the PodSecurity admission plugin enforcing the
# `restricted` level on each manifest's namespace:
#
#   xtask/apiserver/dry-run.sh MANIFESTS.yaml...      each must be accepted
#   xtask/apiserver/dry-run.sh --refuse MANIFESTS.yaml  each must be refused
#   CRDS="$(xtask/apiserver/crds.sh)" xtask/apiserver/dry-run.sh ...
#                                      with custom resource definitions first
#   xtask/apiserver/dry-run.sh --build-only   only build the binaries
#
# Each file's namespace is created for real, labelled
# pod-security.kubernetes.io/enforce=restricted; then the whole file goes
# through `kubectl apply --dry-run=server --warnings-as-errors`, so a
# workload whose pods would violate the level fails (PodSecurity only warns
# for workloads; it refuses pods). Binaries are built into
# target/apiserver/bin once (about 4 minutes on 2 cores, cold).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
expect=accept
build_only=0
if [ "${1-}" = --refuse ]; then expect=refuse; shift; fi
if [ "${1-}" = --build-only ]; then build_only=1; shift; fi
[ $# -gt 0 ] || [ "$build_only" = 1 ] || { echo "usage: $0 [--refuse] MANIFESTS.yaml... | --build-only" >&2; exit 2; }
out=$repo/target/apiserver
bin=$out/bin
version=$(awk '$1 == "k8s.io/kubernetes" { print $2 }' "$here/go.mod")
if [ ! -x "$bin/kube-apiserver" ] || [ ! -x "$bin/etcd" ] || [ "$(cat "$bin/version" 2>/dev/null)" != "$version" ]; then
  echo "apiserver: building kube-apiserver $version and etcd"
  minor=$(echo "$version" | cut -d. -f2)
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  (cd "$here" && go build -trimpath -ldflags="$ld" -o "$bin/" k8s.io/kubernetes/cmd/kube-apiserver ./cmd/etcd)
  echo "$version" > "$bin/version"
fi
[ "$build_only" = 0 ] || exit 0
run=$out/run
# What an interrupted run left behind.
for f in "$run"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
rm -rf "$run" && mkdir -p "$run/certs"
pids=()
stop() { # the API server first, then etcd; SIGKILL what is still there after 10 s
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
    kill -9 "${pids[i]}" 2>/dev/null || true
  done
}
trap stop EXIT
openssl genrsa -out "$run/sa.key" 2048 2>/dev/null
openssl rsa -in "$run/sa.key" -pubout -out "$run/sa.pub" 2>/dev/null
token=$(openssl rand -hex 16)
echo "$token,admin,admin,system:masters" > "$run/tokens.csv"
"$bin/etcd" --data-dir "$run/etcd" --listen-client-urls http://127.0.0.1:23790 \
  --advertise-client-urls http://127.0.0.1:23790 --listen-peer-urls http://127.0.0.1:23800 \
  --initial-advertise-peer-urls http://127.0.0.1:23800 --initial-cluster default=http://127.0.0.1:23800 \
  --listen-metrics-urls http://127.0.0.1:23810 > "$run/etcd.log" 2>&1 &
pids+=($!)
echo $! > "$run/etcd.pid"
# No controller manager runs, so no namespace gets its `default`
# ServiceAccount: the ServiceAccount admission plugin is off. PodSecurity,
# which this checks, stays on (it is in the default set).
"$bin/kube-apiserver" --etcd-servers=http://127.0.0.1:23790 \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
  --secure-port=16443 --cert-dir="$run/certs" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$run/sa.pub" --service-account-signing-key-file="$run/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 --token-auth-file="$run/tokens.csv" \
  --authorization-mode=RBAC --allow-privileged=true \
  --disable-admission-plugins=ServiceAccount > "$run/apiserver.log" 2>&1 &
pids+=($!)
echo $! > "$run/apiserver.pid"
for _ in $(seq 1 600); do
  code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" https://127.0.0.1:16443/readyz || true)
  [ "$code" = 200 ] && break
  kill -0 "${pids[1]}" 2>/dev/null || { cat "$run/apiserver.log" >&2; exit 1; }
  sleep 0.1
done
[ "$code" = 200 ] || { echo "kube-apiserver not ready" >&2; exit 1; }
export KUBECONFIG=$run/kubeconfig
kubectl config set-cluster live --server=https://127.0.0.1:16443 --certificate-authority="$run/certs/apiserver.crt" --embed-certs >/dev/null
kubectl config set-credentials admin --token="$token" >/dev/null
kubectl config set-context live --cluster=live --user=admin >/dev/null
kubectl config use-context live >/dev/null
# Custom resources are validated against their CRD's schema, with unknown
# fields refused (kubectl's default --validate=strict).
if [ -n "${CRDS-}" ]; then
  for crd in $CRDS; do kubectl create -f "$crd" >/dev/null; done
  kubectl wait --for condition=established --timeout=120s crd --all >/dev/null
  echo "apiserver: $(echo "$CRDS" | wc -w) CRDs installed: $(kubectl get crd -o name | sed 's#.*/##' | sort | tr '\n' ' ')"
fi
server=$(kubectl get --raw /version | sed -n 's/.*"gitVersion": *"\(v[^"]*\)".*/\1/p')
failed=0
for f in "$@"; do
  ns=$(kubectl create --dry-run=client -f "$f" -o jsonpath='{.metadata.namespace}{"\n"}' | sort -u | grep .)
  [ "$(echo "$ns" | wc -l)" = 1 ] || { echo "$f: one namespace expected, found: $ns" >&2; exit 1; }
  kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  kubectl label --overwrite namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null
  if result=$(kubectl apply --dry-run=server --warnings-as-errors -f "$f" 2>&1); then got=accept; else got=refuse; fi
  said=${got%e}ed
  if [ "$got" = "$expect" ]; then
    if [ "$got" = accept ]; then
      echo "apiserver: $f: accepted ($(echo "$result" | grep -c 'server dry run') objects)"
    else
      echo "apiserver: $f: refused, as expected: $(echo "$result" | grep -m1 -o -e 'violate PodSecurity "[^"]*"' -e 'unknown field "[^"]*"' -e 'Unsupported value: "[^"]*"')"
    fi
  else
    echo "apiserver: $f: $said, but it must be ${expect%e}ed:" >&2
    echo "$result" >&2
    failed=$((failed + 1))
  fi
done
echo "apiserver: kube-apiserver $server, PodSecurity restricted: $(($# - failed)) of $# as expected"
[ "$failed" = 0 ]
