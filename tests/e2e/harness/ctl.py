"""Run miroir-ctl ($MIROIR_CTL_BIN, else the one next to the Miroir binary under test)
against a cluster, with the admin key in its environment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .miroir import DEFAULT_ADMIN_KEY, miroir_bin


def ctl_bin() -> Path:
    value = os.environ.get("MIROIR_CTL_BIN", "").strip()
    if value:
        return Path(value)
    return miroir_bin().parents[1] / "tools" / "miroir-ctl" / "miroir-ctl"


def ctl(cluster, *args: str, key: str = DEFAULT_ADMIN_KEY,
        timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "MIROIR_ADMIN_KEY": key}
    return subprocess.run([str(ctl_bin()), "--url", cluster.url, *args], capture_output=True,
                          text=True, timeout=timeout, env=env)
