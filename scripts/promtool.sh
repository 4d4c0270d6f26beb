#!/usr/bin/env bash
# Builds promtool (Prometheus's rule checker and rule unit-test runner) from the Go module proxy with
# `go install github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION`, pinned in
# k8s/versions.env, and caches the binary by version outside the repository:
#   ${JUDGEFLOW_PROMTOOL_CACHE:-${JUDGEFLOW_CI_CACHE:-$HOME/.cache/judgeflow-ci}/promtool}/<version>/promtool
# A present binary is reused as is. The Go module and build caches used while building live under the
# cache folder and are removed afterwards (JUDGEFLOW_PROMTOOL_KEEP_GO_CACHE=1 keeps them).
# Prints the binary's path on stdout; progress goes to stderr. Needs Go >= 1.25 (`go` on PATH, or
# /usr/local/go/bin/go).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../k8s/versions.env
. "$repo/k8s/versions.env"
version=$PROMETHEUS_MODULE_VERSION

cache=${JUDGEFLOW_PROMTOOL_CACHE:-${JUDGEFLOW_CI_CACHE:-$HOME/.cache/judgeflow-ci}/promtool}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
bin_dir="$cache/$version"

log() { echo "promtool: $*" >&2; }

if [ -x "$bin_dir/promtool" ]; then
  echo "$bin_dir/promtool"
  exit 0
fi

# One build at a time, also across processes.
exec 9>"$cache/.build.lock"
flock 9
if [ -x "$bin_dir/promtool" ]; then # built by the process that held the lock
  echo "$bin_dir/promtool"
  exit 0
fi

go_bin=$(command -v go || true)
[ -n "$go_bin" ] || go_bin=/usr/local/go/bin/go
if [ ! -x "$go_bin" ]; then
  log "Go is needed to build promtool once; install Go >= 1.25 from https://go.dev/dl/ or set PATH so"
  log "that 'go' is found."
  exit 1
fi
export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS="-modcacherw -buildvcs=false" \
  GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off
work=$(mktemp -d "$cache/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "building promtool from github.com/prometheus/prometheus $version (cold: a few minutes)"
start=$(date +%s)
(cd "$work" && GOBIN="$work" "$go_bin" install -trimpath -ldflags=-s \
  "github.com/prometheus/prometheus/cmd/promtool@$version")
"$work/promtool" --version >/dev/null
mkdir -p "$bin_dir"
mv "$work/promtool" "$bin_dir/promtool"
if [ "${JUDGEFLOW_PROMTOOL_KEEP_GO_CACHE:-}" != 1 ]; then
  rm -rf "$cache/go"
fi
log "built in $(($(date +%s) - start)) s: $bin_dir/promtool"
echo "$bin_dir/promtool"
