#!/usr/bin/env bash
# Builds Miroir and runs every test: unit tests (ctest) and end-to-end suites
# (pytest with the official meilisearch client) and the quick chaos runs
# (tests/chaos) on the release build, then
# all of them again on an ASan+UBSan build, then the unit tests of the
# concurrent parts (store runner, stores, membership, pruner, HTTP server and
# client, cluster, log, metrics) on a ThreadSanitizer build; and each libFuzzer
# target for 10 s (clang). Warnings are errors everywhere.
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

  echo "== fuzz targets, 10 s each (scripts/fuzz.sh; docs/fuzzing.md)"
  scripts/fuzz.sh --seconds 10

  tsan_tests=(store_store_runner_test store_redis_store_test store_sqlite_store_test
              workers_membership_test workers_task_pruner_test workers_worker_thread_test
              http_server_client_test
              meili_cluster_fence_test log_log_test metrics_proxy_metrics_test)
  echo "== build (tsan): unit tests of the concurrent parts"
  scripts/build.sh tsan "${tsan_tests[@]}"
  for t in "${tsan_tests[@]}"; do
    echo "== tsan: $t"
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "build-tsan/tests/unit/$t" --gtest_brief=1
  done
fi
