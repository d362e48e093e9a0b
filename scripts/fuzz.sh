#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang in build-fuzz/ and runs
# each for a bounded time over a copy of its seed corpus (docs/fuzzing.md).
#   scripts/fuzz.sh [--seconds N] [target...]
# Targets are the names of tests/fuzz/<name>_fuzz.cpp (default: all); N is
# the time per target (default 10). Fails on any crash, leak, timeout or
# out-of-memory, keeping the input under build-fuzz/artifacts/; prints each
# target's executions.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=10
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a value}; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/*_fuzz.cpp; do
    name=$(basename "$f" _fuzz.cpp)
    targets+=("$name")
  done
fi
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/${t}_fuzz.cpp" ] || { echo "fuzz: no target $t (tests/fuzz/${t}_fuzz.cpp)" >&2; exit 2; }
done

# Debian's clang (scripts/setup.sh installs clang-16 and its libFuzzer).
cxx=${MIROIR_FUZZ_CXX:-}
if [ -z "$cxx" ]; then
  for c in clang++-16 clang++ clang++-19 clang++-14; do
    if command -v "$c" >/dev/null; then cxx=$c; break; fi
  done
fi
[ -n "$cxx" ] || { echo "fuzz: clang++ not found; run scripts/setup.sh" >&2; exit 2; }

# Let ccache share results between checkouts (CI builds a fresh clone).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
build_start=$SECONDS
cmake -S . -B build-fuzz -G Ninja -DMIROIR_BUILD_FUZZ=ON -DMIROIR_WERROR=ON \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build-fuzz -j"${MIROIR_FUZZ_JOBS:-2}" "${targets[@]/%/_fuzz}"
echo "fuzz: build took $((SECONDS - build_start)) s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=build-fuzz/artifacts
mkdir -p "$artifacts"
symbolizer=$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer || command -v addr2line || true)
export ASAN_SYMBOLIZER_PATH="$symbolizer" UBSAN_SYMBOLIZER_PATH="$symbolizer"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1

failed=()
printf '%-16s %8s %12s %10s  %s\n' target seconds executions exec/s result
for t in "${targets[@]}"; do
  cp -r "tests/fuzz/corpus/$t" "$work/$t"
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
         -artifact_prefix="$artifacts/$t-")
  case "$t" in
    filter) flags+=(-dict=tests/fuzz/filter.dict) ;;
    documents|search_rewrite|merge|tenant_token) flags+=(-dict=tests/fuzz/json.dict) ;;
  esac
  log="$work/$t.log"
  result=ok
  # The outer bound catches a run that libFuzzer itself cannot stop.
  if ! timeout -s KILL $((seconds + 120)) "build-fuzz/tests/fuzz/${t}_fuzz" "${flags[@]}" \
      "$work/$t" >"$log" 2>&1; then
    result=FAILED
    failed+=("$t")
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-16s %8s %12s %10s  %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "$result"
  if [ "$result" != ok ]; then
    grep -a -E 'ERROR|invariant violated|runtime error|SUMMARY|Test unit written|^    #[0-9]+ .* in ' \
      "$log" | grep -v ' in fuzzer::' | head -40 >&2 || true
    cp "$log" "$artifacts/$t.log"
    echo "fuzz: $t failed; log and input under $artifacts/ (reproduce: build-fuzz/tests/fuzz/${t}_fuzz <input>)" >&2
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
