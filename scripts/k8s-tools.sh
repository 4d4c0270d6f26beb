#!/usr/bin/env bash
# Builds the real Kubernetes pieces the manifest validator runs, from the Go module proxy, and caches the
# binaries by version outside the repository:
#   kube-apiserver + kubectl (kustomize built in)   k8s.io/kubernetes            (KUBERNETES_VERSION)
#   etcd                                            go.etcd.io/etcd/server/v3    (ETCD_VERSION)
#   KubeRay operator + its CRDs                     github.com/ray-project/kuberay/ray-operator (KUBERAY_VERSION)
#   Prometheus Operator CRDs (PodMonitor, ServiceMonitor, PrometheusRule)
#                                                   github.com/prometheus-operator/prometheus-operator
#                                                   (PROMETHEUS_OPERATOR_VERSION; downloaded, not built)
# Versions come from k8s/versions.env (the one place they are pinned). The cache is
#   ${JUDGEFLOW_K8S_CACHE:-${JUDGEFLOW_CI_CACHE:-$HOME/.cache/judgeflow-ci}/k8s}
# with one folder per tool and version; a present folder is reused as is (a warm run costs nothing here).
# k8s.io/kubernetes and etcd cannot be `go install`ed (their go.mod replaces modules with local paths),
# so each is built inside a small wrapper module that points those replaces at the published versions.
# The Go module and build caches (~3 GB) live under the cache folder while building and are removed
# afterwards; JUDGEFLOW_K8S_KEEP_GO_CACHE=1 keeps them (faster rebuilds when changing versions).
# Prints the cache folder on stdout; progress goes to stderr. Needs Go >= 1.25 (`go` on PATH, or
# /usr/local/go/bin/go).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../k8s/versions.env
. "$repo/k8s/versions.env"

cache=${JUDGEFLOW_K8S_CACHE:-${JUDGEFLOW_CI_CACHE:-$HOME/.cache/judgeflow-ci}/k8s}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
k8s_dir="$cache/kubernetes-$KUBERNETES_VERSION"
etcd_dir="$cache/etcd-$ETCD_VERSION"
kuberay_dir="$cache/kuberay-$KUBERAY_VERSION"
promop_dir="$cache/prometheus-operator-$PROMETHEUS_OPERATOR_VERSION"
promop_crds="podmonitors servicemonitors prometheusrules"
promop_ready() {
  local crd
  for crd in $promop_crds; do [ -f "$promop_dir/crds/monitoring.coreos.com_$crd.yaml" ] || return 1; done
}

log() { echo "k8s-tools: $*" >&2; }

if [ -x "$k8s_dir/kube-apiserver" ] && [ -x "$k8s_dir/kubectl" ] && [ -x "$etcd_dir/etcd" ] &&
  [ -x "$kuberay_dir/ray-operator" ] && [ -f "$kuberay_dir/crds/ray.io_rayclusters.yaml" ] && promop_ready; then
  echo "$cache"
  exit 0
fi

# One build at a time, also across processes (the machine and CI runners have few cores).
exec 9>"$cache/.build.lock"
flock 9

go_bin=$(command -v go || true)
[ -n "$go_bin" ] || go_bin=/usr/local/go/bin/go
if [ ! -x "$go_bin" ]; then
  log "Go is needed to build the Kubernetes tools (kube-apiserver, etcd, KubeRay) once; install Go >= 1.25"
  log "from https://go.dev/dl/ or set PATH so that 'go' is found."
  exit 1
fi
export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS="-modcacherw -buildvcs=false" \
  GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off
work=$(mktemp -d "$cache/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A wrapper module: requires $1@$2, replaces each of the remaining "module version" pairs, imports the
# listed main packages from tools.go so that `go mod tidy` resolves them.
wrapper() { # dir module version "pkg..." "replace-module replace-version"...
  local dir=$1 module=$2 version=$3 pkgs=$4
  shift 4
  mkdir -p "$dir"
  {
    echo "module judgeflow.local/k8s-tools"
    echo
    echo "go 1.25.0"
    echo
    echo "require $module $version"
    local pair
    for pair in "$@"; do echo "replace ${pair% *} => ${pair% *} ${pair#* }"; done
  } >"$dir/go.mod"
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    echo "import ("
    local pkg
    for pkg in $pkgs; do echo "	_ \"$pkg\""; done
    echo ")"
  } >"$dir/tools.go"
  (cd "$dir" && "$go_bin" mod tidy)
}

if [ ! -x "$k8s_dir/kube-apiserver" ] || [ ! -x "$k8s_dir/kubectl" ]; then
  log "building kube-apiserver and kubectl $KUBERNETES_VERSION (cold: a few minutes)"
  staging="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
    cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api
    cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
    kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils
    pod-security-admission sample-apiserver sample-cli-plugin sample-controller"
  replaces=()
  for m in $staging; do replaces+=("k8s.io/$m $KUBERNETES_STAGING_VERSION"); done
  wrapper "$work/kubernetes" k8s.io/kubernetes "$KUBERNETES_VERSION" \
    "k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl" "${replaces[@]}"
  mkdir -p "$work/kubernetes/out"
  (cd "$work/kubernetes" &&
    "$go_bin" build -trimpath -ldflags=-s -o out/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver &&
    "$go_bin" build -trimpath -ldflags=-s -o out/kubectl k8s.io/kubernetes/cmd/kubectl)
  rm -rf "$k8s_dir" && mv "$work/kubernetes/out" "$k8s_dir"
fi

if [ ! -x "$etcd_dir/etcd" ]; then
  log "building etcd $ETCD_VERSION"
  replaces=()
  for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do replaces+=("go.etcd.io/etcd/$m $ETCD_VERSION"); done
  wrapper "$work/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3 "${replaces[@]}"
  mkdir -p "$work/etcd/out"
  (cd "$work/etcd" && "$go_bin" build -trimpath -ldflags=-s -o out/etcd go.etcd.io/etcd/server/v3)
  rm -rf "$etcd_dir" && mv "$work/etcd/out" "$etcd_dir"
fi

if [ ! -x "$kuberay_dir/ray-operator" ] || [ ! -f "$kuberay_dir/crds/ray.io_rayclusters.yaml" ]; then
  log "building the KubeRay operator $KUBERAY_VERSION"
  mkdir -p "$work/kuberay/crds"
  module_dir=$(cd "$work" && "$go_bin" mod download -json "github.com/ray-project/kuberay/ray-operator@$KUBERAY_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  cp "$module_dir"/config/crd/bases/ray.io_*.yaml "$work/kuberay/crds/"
  GOBIN="$work/kuberay" "$go_bin" install -trimpath -ldflags=-s \
    "github.com/ray-project/kuberay/ray-operator@$KUBERAY_VERSION"
  rm -rf "$kuberay_dir" && mv "$work/kuberay" "$kuberay_dir"
fi

if ! promop_ready; then
  # Only the CRD YAMLs: the module zip carries them under example/prometheus-operator-crd/.
  log "fetching the Prometheus Operator CRDs $PROMETHEUS_OPERATOR_VERSION"
  mkdir -p "$work/prometheus-operator/crds"
  module_dir=$(cd "$work" && "$go_bin" mod download -json \
    "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  for crd in $promop_crds; do
    cp "$module_dir/example/prometheus-operator-crd/monitoring.coreos.com_$crd.yaml" "$work/prometheus-operator/crds/"
  done
  rm -rf "$promop_dir" && mv "$work/prometheus-operator" "$promop_dir"
fi

if [ "${JUDGEFLOW_K8S_KEEP_GO_CACHE:-}" != 1 ]; then
  rm -rf "$cache/go"
fi
log "tools ready in $cache"
echo "$cache"
