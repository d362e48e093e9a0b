#!/usr/bin/env bash
# Configures and builds one build tree.
#   scripts/build.sh [release|asan|tsan] [ninja targets...]
# release -> build/        (RelWithDebInfo, warnings as errors)
# asan    -> build-asan/   (ASan + UBSan, warnings as errors)
# tsan    -> build-tsan/   (ThreadSanitizer, warnings as errors; scripts/test.sh
#                           builds only the unit tests of the concurrent parts)
set -euo pipefail
cd "$(dirname "$0")/.."
flavor=${1:-release}
shift || true
case "$flavor" in
  release) dir=build; extra=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) dir=build-asan; extra=(-DCMAKE_BUILD_TYPE=Debug -DMIROIR_SANITIZE=address,undefined -DMIROIR_BUILD_BENCH=OFF) ;;
  tsan) dir=build-tsan; extra=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMIROIR_SANITIZE=thread -DMIROIR_BUILD_BENCH=OFF) ;;
  *) echo "usage: $0 [release|asan|tsan] [targets...]" >&2; exit 2 ;;
esac
# Let ccache share results between checkouts (CI builds a fresh clone).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake -S . -B "$dir" -G Ninja -DMIROIR_WERROR=ON "${extra[@]}" >/dev/null
ninja -C "$dir" "$@"
