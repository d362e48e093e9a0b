# Tools of the deploy checks, built from the Go module proxy (sourced, not run).
#   scripts/setup.sh --deploy-tools   calls install_deploy_tools (once; later runs skip)
#   tests/deploy/run.sh    uses $HELM_BIN and kubecheck_bin
# Everything lands under $MIROIR_TOOLS_DIR, one directory per version, so a
# version bump installs beside the old one and reruns skip what is there.

MIROIR_TOOLS_DIR=${MIROIR_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/miroir-tools}
HELM_VERSION=v3.21.4
# Kubernetes minor version of Helm's own client libraries (k8s.io/* v0.36 in
# helm v3.21.4): the cluster version `helm template` and `helm lint` assume
# (a plain `go install` would leave Helm's fallback, 1.20).
HELM_KUBE_MINOR=36
HELM_BIN=$MIROIR_TOOLS_DIR/helm-$HELM_VERSION/helm
DEPLOY_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

go_bin() {
  if command -v go >/dev/null 2>&1; then command -v go; else echo /usr/local/go/bin/go; fi
}

# The kubecheck binary for the current sources (its path names their hash).
kubecheck_bin() {
  local sum
  sum=$(cat "$DEPLOY_TESTS_DIR"/kubecheck/go.mod "$DEPLOY_TESTS_DIR"/kubecheck/go.sum \
            "$DEPLOY_TESTS_DIR"/kubecheck/main.go | sha256sum | cut -c1-16)
  echo "$MIROIR_TOOLS_DIR/kubecheck-$sum/kubecheck"
}

install_helm() {
  [ -x "$HELM_BIN" ] && return 0
  local go ldflags
  go=$(go_bin)
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$HELM_KUBE_MINOR"
  done
  echo "setup: building helm $HELM_VERSION from the Go module proxy (a few minutes, once)"
  (cd "$MIROIR_TOOLS_DIR" && GOTOOLCHAIN=local GOBIN="$(dirname "$HELM_BIN")" \
     "$go" install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
}

install_kubecheck() {
  local bin
  bin=$(kubecheck_bin)
  [ -x "$bin" ] && return 0
  echo "setup: building kubecheck (tests/deploy/kubecheck) with its Kubernetes API modules"
  (cd "$DEPLOY_TESTS_DIR/kubecheck" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
     "$(go_bin)" build -trimpath -o "$bin" .)
}

install_deploy_tools() {
  mkdir -p "$MIROIR_TOOLS_DIR"
  install_helm
  install_kubecheck
}
