"""pytest setup of the deploy checks that run real processes (test_live.py).

Puts tests/e2e on sys.path for its harness (test nodes, Miroir) and
tests/deploy for the metric-name helpers. Run through tests/deploy/run.sh, or:
    python3 -m pytest -q -p no:cacheprovider tests/deploy
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE.parent / "e2e", HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
