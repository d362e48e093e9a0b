#!/usr/bin/env python3
"""The alert unit tests (tests/deploy/alerts_test.yaml) exercise every alert
both ways. Two mutated copies of charts/miroir/files/miroir-rules.yaml are
tested: one where no alert can fire, one where every alert always fires (with
no labels). `promtool test rules` must report, for every alert, a failed
assertion that expected it firing (first copy) and one that expected it
quiet (second copy): an alert lacking either kind of test is caught.

Also: every alert's runbook_url is docs/operations.md#<anchor> and that
anchor is a heading of docs/operations.md (GitHub's anchor rule), and every
in-page link of docs/operations.md points at one of its headings.

    python3 tests/deploy/check_alert_tests.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RULES = REPO / "charts/miroir/files/miroir-rules.yaml"
TESTS = HERE / "alerts_test.yaml"
OPERATIONS = REPO / "docs/operations.md"
# mutation -> (expression, the failed assertions that count: those expecting
# alerts for "never fires", those expecting silence for "always fires")
MUTATIONS = {
    "never fires": ("vector(1) == 2", r"alertname: (\w+), time: [^,]*,\s*exp:\[\s*0:"),
    "always fires": ("vector(1)", r"alertname: (\w+), time: [^,]*,\s*exp:\[\],"),
}


def promtool_test(workdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", "test", "rules", str(workdir / "tests" / "deploy" / TESTS.name)],
                          capture_output=True, text=True, timeout=60)


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'."""
    out = set()
    for m in re.finditer(r"^#{1,6} (.+?)\s*$", markdown, re.M):
        text = re.sub(r"[`*_]", "", m.group(1)).strip().lower()
        out.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return out


def check_runbooks(rules: dict) -> list[str]:
    problems = []
    text = OPERATIONS.read_text()
    known = anchors(text)
    for g in rules["groups"]:
        for r in g["rules"]:
            if "alert" not in r:
                continue
            url = r.get("annotations", {}).get("runbook_url", "")
            path, _, frag = url.partition("#")
            if path != "docs/operations.md" or frag != r["alert"].lower():
                problems.append(f"{r['alert']}: runbook_url {url!r}, want docs/operations.md#{r['alert'].lower()}")
            elif frag not in known:
                problems.append(f"{r['alert']}: docs/operations.md has no section #{frag}")
    for link in re.findall(r"\]\(#([^)]+)\)", text):
        if link not in known:
            problems.append(f"docs/operations.md links to #{link}, which is no heading")
    return problems


def main() -> int:
    rules = yaml.safe_load(RULES.read_text())
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r]
    runbook_problems = check_runbooks(rules)
    print(f"runbooks: {len(alerts)} alerts, each linked to its section of docs/operations.md"
          if not runbook_problems else "runbooks: problems below")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="miroir-alert-mutations-") as tmp:
        # Same relative layout as the repository, so the test file's
        # rule_files paths resolve to the mutated copy.
        work = Path(tmp)
        (work / "tests" / "deploy").mkdir(parents=True)
        (work / "charts" / "miroir" / "files").mkdir(parents=True)
        for f in HERE.glob("alerts_test*.yaml"):
            shutil.copy(f, work / "tests" / "deploy" / f.name)
        target = work / "charts" / "miroir" / "files" / RULES.name
        target.write_text(RULES.read_text())
        baseline = promtool_test(work)
        if baseline.returncode != 0:
            print(baseline.stdout + baseline.stderr)
            print("error: the unmutated rules fail their tests")
            return 1
        for what, (expr, caught) in MUTATIONS.items():
            mutated = yaml.safe_load(RULES.read_text())
            for g in mutated["groups"]:
                for r in g["rules"]:
                    if "alert" in r:
                        r["expr"] = expr
                        r.pop("for", None)
            target.write_text(yaml.safe_dump(mutated, sort_keys=False))
            result = promtool_test(work)
            failed = set(re.findall(caught, result.stdout + result.stderr))
            for alert in alerts:
                if alert not in failed:
                    problems.append(f"{alert}: its tests still pass when it {what}")
    print(f"alert tests: {len(alerts)} alerts x {len(MUTATIONS)} mutations, "
          f"{len(alerts) * len(MUTATIONS) - len(problems)} caught")
    problems += runbook_problems
    for p in problems:
        print(f"error: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
