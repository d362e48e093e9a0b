"""Reproduces the known hinted-handoff race between instances (docs/anti-entropy.md,
limits), to measure it and, once fixed, to show it gone:

    python3 -m tests.chaos.hint_race [--tries 20]

Two Miroir instances share a private redis-server in front of two groups of one
node each (RF 1, anti-entropy off). Each try writes version 1 of a document
through instance a while n2 drops document writes (so a stores a hint for n2),
then at once version 2 of the same document through instance b. b learns of the
hint only at its next poll (250 ms), so it sends version 2 to n2 directly, and
the replay of the hint later puts version 1 back. Prints how many documents n2
ended with at an older version than n1; 0 is the correct answer. Exits 1 when
any diverged. Needs the release build (MIROIR_BIN / MIROIR_TESTNODE_BIN);
everything listens on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

E2E_DIR = Path(__file__).resolve().parents[1] / "e2e"
sys.path.insert(0, str(E2E_DIR))

from harness import MiroirCluster, TopologySpec  # noqa: E402
from harness.redis import RedisProcess, redis_overrides  # noqa: E402

UID = "race"


def run(tries: int) -> int:
    work = Path(tempfile.mkdtemp(prefix="miroir-hint-race-"))
    redis = RedisProcess(work / "redis").start()
    overrides = redis_overrides(redis)
    overrides["hinted_handoff"] = {"enabled": True}
    cluster = MiroirCluster(work / "cluster",
                            TopologySpec(groups=(1, 1), replication_factor=1, shards=2),
                            miroir_overrides=overrides)
    b = None
    try:
        cluster.start()
        b = cluster.make_proxy("miroir-b", overrides=overrides)
        b.start()
        a_client, b_client = cluster.proxy.client(), b.client()
        a_client.wait_for_task(a_client.create_index(UID, {"primaryKey": "id"}).task_uid)
        via_a, via_b = a_client.index(UID), b_client.index(UID)
        a_client.wait_for_task(via_a.add_documents([{"id": i, "v": 0}
                                                     for i in range(tries)]).task_uid)
        b.wait_node_health("n2", True)
        n2 = cluster.node("n2")
        for i in range(tries):
            n2.http("POST", "/_testnode/faults",
                    json={"route": "/indexes/*/documents", "method": "POST", "drop": True})
            a_client.wait_for_task(via_a.add_documents([{"id": i, "v": 1}]).task_uid)
            n2.http("DELETE", "/_testnode/faults")
            b_client.wait_for_task(via_b.add_documents([{"id": i, "v": 2}]).task_uid)
            time.sleep(0.6)  # the replay, and n2 out of catching up
        time.sleep(2)
        on_n1 = {d["id"]: d["v"] for d in cluster.node_documents("n1", UID)}
        on_n2 = {d["id"]: d["v"] for d in cluster.node_documents("n2", UID)}
        older = [i for i in range(tries) if on_n2.get(i, -1) < on_n1.get(i, -1)]
        print(f"n2 kept an older version than n1 in {len(older)} of {tries} tries")
        return 1 if older else 0
    finally:
        if b is not None:
            b.stop()
        cluster.stop()
        redis.stop()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tries", type=int, default=20)
    return run(ap.parse_args().tries)


if __name__ == "__main__":
    sys.exit(main())
