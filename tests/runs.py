"""Start Lianxin's own commands as a worker on another host would: each in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path


def start_remind(env: dict[str, str], day: date) -> subprocess.Popen[bytes]:
    """Start `lianxin run remind --as-of day` in a session of its own (kill it with its group)."""
    lianxin = str(Path(sys.executable).with_name("lianxin"))
    return subprocess.Popen(
        [lianxin, "run", "remind", "--as-of", day.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
