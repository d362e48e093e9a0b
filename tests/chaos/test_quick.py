"""The quick chaos runs CI does on every change (issue 6): real processes, two
Miroir instances on one redis-server, a few thousand concurrent writes through
both during a topology change with a fault, then the checker. The full matrix
(100,000 operations per scenario) is `python3 -m tests.chaos.run` and its table
is docs/chaos-results.md.
"""

from __future__ import annotations

import shutil

import pytest

from .scenarios import run_scenario


@pytest.fixture(autouse=True)
def _needs_redis():
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run scripts/setup.sh")


def assert_clean(result) -> None:
    assert result.fault_injected, f"the fault was never injected: {result.notes}"
    assert result.counters.acknowledged > 0
    report = result.report
    assert report.clean(), (
        f"lost {report.lost}, resurrected {report.resurrected}, stale {report.stale}, "
        f"duplicated {report.duplicated}, misplaced {report.misplaced}: {report.examples}")


def test_node_add_with_the_coordinator_killed_mid_copy(tmp_path):
    assert_clean(run_scenario(tmp_path, change="add", fault="kill-coordinator", phase="copy",
                              operations=3000, ids=2000, preload=2000, per_second=2000))


def test_node_drain_with_the_old_owner_stopped_during_the_hold(tmp_path):
    assert_clean(run_scenario(tmp_path, change="drain", fault="sigstop-old-owner",
                              operations=3000, ids=2000, preload=2000, per_second=2000))


def test_node_add_with_an_instance_paused_through_the_change(tmp_path):
    # Its writes routed before the pause must not land on the old owners after
    # the cleanup: the instance fences itself (docs/topology-changes.md#limits).
    assert_clean(run_scenario(tmp_path, change="add", fault="pause-instance",
                              operations=3000, ids=2000, preload=2000, per_second=2000))


def test_node_add_with_the_source_killed_mid_copy_and_anti_entropy_on(tmp_path):
    # A second replica group, passes every 3 s and hinted handoff throughout;
    # after the run, repairing passes until the copies agree (noted).
    result = run_scenario(tmp_path, change="add", fault="kill-source", operations=3000,
                          ids=2000, preload=2000, per_second=2000, anti_entropy=True)
    assert_clean(result)
    assert any("anti-entropy passes after the run" in n for n in result.notes), result.notes
