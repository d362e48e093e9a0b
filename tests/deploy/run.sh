#!/usr/bin/env bash
# The deploy checks: alerting rules, Grafana dashboard, Helm chart, Dockerfile,
# and Miroir under a real Prometheus. scripts/test.sh runs this after the
# release pass; it needs what `scripts/setup.sh --deploy-tools` installs
# (promtool and prometheus from Debian, helm and kubecheck under
# ~/.cache/miroir-tools).
#
#   tests/deploy/run.sh            everything (the live part needs the release
#                                  build: build/src/miroir, miroir-testnode)
#   MIROIR_BIN=... MIROIR_TESTNODE_BIN=...   other binaries, as for tests/e2e
#
# Each step prints what it checked; the first failing step stops the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/deploy/tools.sh

started=$(date +%s.%N)

# Everything the checks create goes under one private directory: temporary
# files, the test nodes', Miroir's and Prometheus' working directories. On
# exit, any process still running from it (a test killed half-way) is
# stopped by pid, and the directory removed.
work=$(mktemp -d "${TMPDIR:-/tmp}/miroir-deploy.XXXXXX")
cleanup() {
  local pid dir
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [ "$pid" = "$$" ] && continue
    if [[ "$(readlink "$dir/cwd" 2>/dev/null)" == "$work"* ]] ||
       tr '\0' ' ' <"$dir/cmdline" 2>/dev/null | grep -qF -- "$work"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export TMPDIR=$work
step() { printf '\n== deploy: %s\n' "$*"; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(date +%s.%N)"; }

for tool in promtool prometheus python3; do
  command -v "$tool" >/dev/null || { echo "deploy: $tool is missing; run scripts/setup.sh" >&2; exit 1; }
done
[ -x "$HELM_BIN" ] || { echo "deploy: $HELM_BIN is missing; run scripts/setup.sh --deploy-tools" >&2; exit 1; }
KUBECHECK=$(kubecheck_bin)
if [ ! -x "$KUBECHECK" ]; then
  install_kubecheck   # sources changed since setup: rebuild (seconds with a warm Go cache)
fi
export HELM_BIN

MIROIR=${MIROIR_BIN:-build/src/miroir}
TESTNODE=${MIROIR_TESTNODE_BIN:-build/tools/testnode/miroir-testnode}
live=1
if [ -x "$MIROIR" ] && [ -x "$TESTNODE" ]; then
  MIROIR=$(realpath "$MIROIR") TESTNODE=$(realpath "$TESTNODE")
else
  live=0
  echo "deploy: no built $MIROIR / $TESTNODE: skipping the checks that run Miroir" >&2
fi

step "alerting rules (promtool check rules, promtool test rules, every alert tested both ways, runbook links)"
promtool check rules charts/miroir/files/miroir-rules.yaml
promtool test rules tests/deploy/alerts_test.yaml
python3 tests/deploy/check_alert_tests.py

step "kubecheck's own tests"
(cd tests/deploy/kubecheck && GOTOOLCHAIN=local GOFLAGS=-mod=readonly "$(go_bin)" test -trimpath -count=1 ./...)

step "Helm chart (lint --strict, template, kubecheck, content; invalid values refused)"
chart_args=(--helm "$HELM_BIN" --kubecheck "$KUBECHECK")
[ "$live" -eq 1 ] && chart_args+=(--miroir "$MIROIR")
python3 tests/deploy/check_chart.py "${chart_args[@]}"

step "Grafana dashboard"
python3 deploy/grafana/build_dashboard.py --check
if [ "$live" -eq 0 ]; then
  # Without binaries, names are checked against the registrations in src/;
  # with them, test_live.py checks them against a real scrape.
  python3 tests/deploy/check_metric_names.py --source
fi

step "Dockerfile (not built: no container engine here)"
docker_args=()
[ "$live" -eq 1 ] && docker_args+=(--binary "$MIROIR")
CTL=$(dirname "$MIROIR")/../tools/miroir-ctl/miroir-ctl
[ "$live" -eq 1 ] && [ -x "$CTL" ] && docker_args+=(--binary "$CTL")
python3 tests/deploy/check_dockerfile.py "${docker_args[@]}"

if [ "$live" -eq 1 ]; then
  step "Miroir under Prometheus (test nodes, Miroir and prometheus on 127.0.0.1)"
  MIROIR_BIN="$MIROIR" MIROIR_TESTNODE_BIN="$TESTNODE" \
    python3 -m pytest -q -p no:cacheprovider --basetemp="$work/pytest" tests/deploy
fi

printf '\n== deploy: all checks passed in %ss\n' "$(elapsed "$started")"
