#!/bin/sh
# Build etcd, kube-apiserver and kube-controller-manager from the pinned Go modules.
#
# Usage: build.sh OUT_DIR
#
# The versions live in go.mod (Kubernetes) and etcd/go.mod (etcd) beside this script; `go build`
# reuses Go's module cache and build cache, so a second run only relinks what changed.
# -trimpath keeps the build reproducible and free of this machine's paths.
set -eu

out=${1:?usage: build.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

GO=${GO:-go}
if ! command -v "$GO" >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; else
    echo "build.sh: no Go toolchain found (set GO=/path/to/go)" >&2; exit 2; fi
fi

start=$(date +%s)
(cd "$here/etcd" && "$GO" build -trimpath -o "$out/etcd" go.etcd.io/etcd/server/v3)
(cd "$here" && "$GO" build -trimpath -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
(cd "$here" && "$GO" build -trimpath -o "$out/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager)
end=$(date +%s)
echo "built etcd, kube-apiserver, kube-controller-manager into $out in $((end - start))s"
