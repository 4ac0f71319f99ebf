#!/usr/bin/env bash
# The published CRDs of the custom resources kafkagen types
# (src/check/custom.rs), from the projects' Go modules on the Go module
# proxy, at the versions pinned here. Prints the CRD files, one per line,
# for `CRDS=... dry-run.sh`.
set -euo pipefail
cert_manager=v1.21.2
prometheus_operator=v0.85.0
export GOFLAGS=-mod=mod
dir() { go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
cm=$(dir github.com/cert-manager/cert-manager "$cert_manager")
po=$(dir github.com/prometheus-operator/prometheus-operator "$prometheus_operator")
for f in "$cm/deploy/crds/cert-manager.io_issuers.yaml" \
         "$cm/deploy/crds/cert-manager.io_certificates.yaml" \
         "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
         "$po/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml" \
         "$po/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"; do
  [ -f "$f" ] || { echo "crds: $f is not in the module" >&2; exit 1; }
  echo "$f"
done
