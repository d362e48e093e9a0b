"""The workload's ledger: which states a document may be in after acknowledged,
indeterminate and refused writes. A possibility it loses makes the checker
report a correct document as lost or stale, so these run without any server."""

from __future__ import annotations

from .workload import ABSENT, Ledger, delete, patch, replace


def test_acknowledged_writes_leave_one_state():
    ledger = Ledger(range(1))
    ledger.apply(0, replace(1), "acknowledged")
    ledger.apply(0, patch(2), "acknowledged")
    assert ledger.states[0] == {(1, 2)}
    ledger.apply(0, delete, "acknowledged")
    assert ledger.states[0] == {ABSENT}


def test_refused_writes_change_nothing():
    ledger = Ledger(range(1))
    ledger.apply(0, replace(1), "acknowledged")
    ledger.apply(0, delete, "refused")
    assert ledger.states[0] == {(1, 0)}


def test_many_indeterminate_writes_keep_every_possibility():
    # A node down for a while: forty writes of one document, none known to
    # have landed. The document may still be absent, or at any of their
    # versions — the oldest included (a trimmed ledger once forgot those and
    # reported correct documents as lost and stale).
    ledger = Ledger(range(1))
    ledger.apply(0, delete, "acknowledged")
    for v in range(1, 41):
        ledger.apply(0, patch(v) if v % 3 else replace(v), "indeterminate")
    allowed = ledger.states[0]
    assert ABSENT in allowed
    assert (0, 1) in allowed  # the first partial update alone created it
    assert (3, 0) in allowed and (39, 40) in allowed
    assert not ledger.unchecked


def test_past_the_bound_an_id_is_unchecked_until_a_full_write():
    ledger = Ledger(range(1))
    ledger.MAX_STATES = 20
    for v in range(1, 30):
        ledger.apply(0, patch(v) if v % 3 else replace(v), "indeterminate")
    assert ledger.unchecked == {0}
    ledger.apply(0, patch(100), "acknowledged")  # depends on the unknown base
    assert ledger.unchecked == {0}
    ledger.apply(0, replace(101), "acknowledged")
    assert ledger.unchecked == set()
    assert ledger.states[0] == {(101, 0)}
