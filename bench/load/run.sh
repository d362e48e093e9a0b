#!/usr/bin/env bash
# Miroir's load benchmarks (issue 4) in one command, everything on 127.0.0.1:
#   bench/load/run.sh [--no-build] [run.py options...]   (bench/load/run.py --help)
# Builds the binaries (scripts/build.sh release), runs pass-through (direct vs
# nginx vs Miroir), fan-out search, ingest and memory, and prints ratios
# measured in the same run. Whatever it started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=1
if [[ ${1:-} == --no-build ]]; then build=0; shift; fi
for tool in wrk nginx python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done
if ((build)); then
  # -j1 by default: the project's machines have two shared cores.
  scripts/build.sh release -j"${BENCH_JOBS:-1}" miroir miroir-testnode miroir-openloop miroir-bench-split
fi

workdir=$(mktemp -d /tmp/miroir-bench.XXXXXX)
py=""
cleanup() {
  # run.py stops its children itself; this catches what an interrupted run left.
  if [[ -n $py ]] && kill -0 "$py" 2>/dev/null; then
    kill -TERM "$py" 2>/dev/null || true  # run.py stops its children on SIGTERM
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$py" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$py" 2>/dev/null || true
  fi
  if [[ -f $workdir/pids ]]; then
    while read -r pid; do
      kill -KILL -- "-$pid" 2>/dev/null || true
    done <"$workdir/pids"
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n 20000 2>/dev/null || true  # 1,000 client connections plus the nodes'
# In the background and waited for, so a signal to this script is handled at
# once instead of after run.py finishes.
python3 bench/load/run.py --workdir "$workdir" "$@" &
py=$!
wait "$py"
