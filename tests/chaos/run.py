"""The chaos matrix of issue 6, for the record: every change with every fault,
each with `--operations` writes through two Miroir instances, printed as the table
of docs/chaos-results.md.

    python3 -m tests.chaos.run [--operations 100000] [--threads 16] [--changes add,drain]
        [--faults none,kill-coordinator] [--phases copy,hold] [--out FILE]

Needs the release build (MIROIR_BIN / MIROIR_TESTNODE_BIN as for the e2e suites).
Runs the refused configuration (no delta pass, anti-entropy off) with
`--delta-pass off` (or `both`), to show what the delta pass prevents, and everything with
anti-entropy and hinted handoff on (and a second replica group) with
`--anti-entropy`.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

E2E_DIR = Path(__file__).resolve().parents[1] / "e2e"
sys.path.insert(0, str(E2E_DIR))

from .scenarios import CHANGES, FAULTS, PHASES, run_scenario  # noqa: E402


def row(result) -> str:
    c, r = result.counters, result.report
    fault = result.fault + (f" ({result.phase})" if result.phase != "-" else "")
    if not result.fault_injected:
        fault += " — not reached"
    return (f"| {result.change} | {fault} | {c.total:,} | {c.acknowledged:,} | {c.refused:,} | "
            f"{c.indeterminate:,} | {r.lost} | {r.resurrected} | {r.stale} | {r.duplicated} | "
            f"{r.misplaced} | {result.seconds:.0f} s |")


HEADER = ("| change | fault | operations | acknowledged | refused | indeterminate | lost | "
          "resurrected | stale | duplicated | misplaced | time |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--operations", type=int, default=100_000)
    ap.add_argument("--ids", type=int, default=20_000)
    ap.add_argument("--changes", default=",".join(CHANGES))
    ap.add_argument("--faults", default=",".join(FAULTS))
    ap.add_argument("--phases", default=",".join(PHASES))
    ap.add_argument("--threads", type=int, default=16, help="writer threads")
    ap.add_argument("--per-second", type=int, default=5000, help="copy throttle")
    ap.add_argument("--delta-pass", choices=("on", "off", "both"), default="on",
                    help="off: the refused configuration (no delta pass, anti-entropy off)")
    ap.add_argument("--anti-entropy", action="store_true",
                    help="anti-entropy and hinted handoff on, with a second replica group "
                         "(tests/chaos/scenarios.py Setup)")
    ap.add_argument("--out", type=Path, help="append the table to this file")
    ap.add_argument("--keep-failed", action="store_true",
                    help="keep the work directory (logs, journals) of a scenario that failed")
    args = ap.parse_args()
    rows = []
    started = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    print(HEADER, flush=True)
    plan = []
    passes = {"on": [True], "off": [False], "both": [True, False]}[args.delta_pass]
    for delta in passes:
        for change in args.changes.split(","):
            for fault in args.faults.split(","):
                phases = args.phases.split(",") if fault == "kill-coordinator" else ["copy"]
                for phase in phases:
                    plan.append((change, fault, phase, delta))
    for change, fault, phase, delta in plan:
        tmp = Path(tempfile.mkdtemp(prefix="miroir-chaos-"))
        result = run_scenario(tmp, change=change, fault=fault, phase=phase,
                              operations=args.operations, ids=args.ids,
                              threads=args.threads,
                              preload=args.ids, per_second=args.per_second,
                              delta_pass=delta, anti_entropy=args.anti_entropy)
        r = result.report
        if args.keep_failed and (r.lost or r.resurrected or r.stale or r.duplicated
                                 or r.misplaced):
            # The processes' logs and the nodes' journals, for the post-mortem.
            print(f"  kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        line = row(result)
        if args.anti_entropy:
            line = line.replace(f"| {change} |", f"| {change} (anti-entropy on) |", 1)
        if not delta:
            line = line.replace(f"| {change} |", f"| {change} (no delta pass) |", 1)
        rows.append(line)
        print(line, flush=True)
        for note in result.notes:
            print(f"  note: {note}", file=sys.stderr)
        for example in result.report.examples[:5]:
            print(f"  example: {example}", file=sys.stderr)
    if args.out:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip() or "unknown"
        with args.out.open("a") as f:
            f.write(f"\nRun of {started} on {platform.node()} "
                    f"({platform.processor() or platform.machine()}), commit {commit}, "
                    f"{args.operations:,} operations per scenario, {args.threads} writer "
                    f"threads, {args.ids:,} ids:\n\n{HEADER}\n")
            f.write("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
