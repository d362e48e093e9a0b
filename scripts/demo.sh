#!/usr/bin/env bash
# Starts a local Miroir cluster and keeps it running until Ctrl-C:
# three miroir-testnode nodes on 127.0.0.1:7701-7703, Miroir on 127.0.0.1:7700
# with the embedded store under ./data, a sample dataset of 1,000 books loaded
# through Miroir (64 shards over the three nodes), and one search shown.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh release miroir miroir-testnode

mkdir -p data
pids=()
cleanup() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_healthy() {
  for _ in $(seq 1 100); do
    curl -fsS "$1/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "demo: $1 did not start; see data/*.log" >&2
  exit 1
}

for i in 1 2 3; do
  build/tools/testnode/miroir-testnode --http-addr "127.0.0.1:770$i" --db-path "data/node$i" \
    >"data/node$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do wait_healthy "http://127.0.0.1:770$i"; done

build/src/miroir --config config/miroir.local.yaml >data/miroir.log 2>&1 &
pids+=($!)
wait_healthy "http://127.0.0.1:7700"

# Waits for the task whose summary is on stdin to succeed.
wait_task() {
  local task status
  task=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["taskUid"])')
  for _ in $(seq 1 300); do
    status=$(curl -fsS "http://127.0.0.1:7700/tasks/$task" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [ "$status" = succeeded ] && return 0
    [ "$status" = failed ] && { echo "demo: task $task failed" >&2; exit 1; }
    sleep 0.1
  done
  echo "demo: task $task did not finish" >&2
  exit 1
}

echo "== loading 1,000 books into index 'books' through Miroir"
python3 scripts/sample_dataset.py 1000 |
  curl -fsS -X POST 'http://127.0.0.1:7700/indexes/books/documents?primaryKey=id' \
    -H 'Content-Type: application/json' --data-binary @- | wait_task
curl -fsS -X PUT 'http://127.0.0.1:7700/indexes/books/settings/filterable-attributes' \
  -H 'Content-Type: application/json' --data '["genre","year"]' | wait_task

echo "== search: q=garden, filter year >= 2000, 3 hits"
curl -fsS -X POST 'http://127.0.0.1:7700/indexes/books/search' -H 'Content-Type: application/json' \
  --data '{"q":"garden","filter":"year >= 2000","limit":3,"attributesToRetrieve":["id","title","year"]}' |
  python3 -m json.tool
echo
echo "Miroir is serving on http://127.0.0.1:7700 (logs in data/). Ctrl-C stops the cluster."
wait
