#!/usr/bin/env bash
# Builds Miroir and runs every test: unit tests (ctest) and end-to-end suites
# (pytest with the official meilisearch client) and the quick chaos runs
# (tests/chaos) on the release build, then
# all of them again on an ASan+UBSan build; warnings are errors in both.
#   scripts/test.sh           both passes (what CI runs)
#   scripts/test.sh --quick   the release pass only
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=1
[ "${1:-}" = "--quick" ] && sanitize=0

scripts/setup.sh --deploy-tools

run_suite() {
  local dir=$1
  echo "== unit tests ($dir)"
  ctest --test-dir "$dir" --output-on-failure -j2
  local bins=(MIROIR_BIN="$PWD/$dir/src/miroir"
              MIROIR_TESTNODE_BIN="$PWD/$dir/tools/testnode/miroir-testnode")
  echo "== end-to-end tests ($dir)"
  env "${bins[@]}" python3 -m pytest -q -p no:cacheprovider tests/e2e
  echo "== quick chaos runs ($dir)"
  env "${bins[@]}" python3 -m pytest -q -p no:cacheprovider tests/chaos
}

echo "== build (release)"
scripts/build.sh release
run_suite build

echo "== deploy checks (tests/deploy/run.sh)"
tests/deploy/run.sh

if [ "$sanitize" -eq 1 ]; then
  echo "== build (asan+ubsan)"
  scripts/build.sh asan
  MIROIR_E2E_SLOWDOWN=5 \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan
fi
