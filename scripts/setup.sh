#!/usr/bin/env bash
# Installs everything Miroir needs to build, test and run its demo on a fresh
# Debian 12 machine: compilers and libraries from Debian, the Python test
# dependencies from PyPI; with --deploy-tools also the deploy checks' helm and
# kubecheck, built from the Go module proxy (scripts/test.sh asks for them).
# Safe to run again; it skips what is already there.
set -euo pipefail
deploy_tools=0
[ "${1:-}" = "--deploy-tools" ] && deploy_tools=1

DEBIAN_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git curl
  libboost1.81-dev nlohmann-json3-dev libyaml-cpp-dev libhiredis-dev libspdlog-dev
  prometheus-cpp-dev libxxhash-dev libsimdjson-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-16 libclang-rt-16-dev  # scripts/fuzz.sh: clang and its libFuzzer runtime
  redis-server haproxy prometheus python3 python3-pip nginx wrk
)
PYTHON_PACKAGES=(meilisearch pytest requests pyyaml)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import meilisearch, pytest, requests, yaml' 2>/dev/null; then
  echo "setup: installing ${PYTHON_PACKAGES[*]} from PyPI"
  "$PYTHON" -m pip install -q "${PYTHON_PACKAGES[@]}" 2>/dev/null ||
    "$PYTHON" -m pip install -q --break-system-packages "${PYTHON_PACKAGES[@]}"
fi

# Helm and kubecheck for tests/deploy/run.sh, under ~/.cache/miroir-tools
# (MIROIR_TOOLS_DIR); needs Go (/usr/local/go/bin/go or on PATH). The first
# build of helm takes a few minutes; later runs find it and skip.
if [ "$deploy_tools" -eq 1 ]; then
  source "$(dirname "$0")/../tests/deploy/tools.sh"
  install_deploy_tools
fi
