"""Stop a long-running child (a `lianxin serve`, a Prefect worker) and say where it hung if it
does not stop.

Such a child is started with `PYTHONFAULTHANDLER=1` (`FAULT_DUMPS`), so that SIGABRT makes
Python write every thread's stack to its stderr before it dies. A child that outlives its time
after the signal that should stop it is sent SIGABRT, then killed with its process group, and
the test fails with the stacks it wrote: a hang seen once in CI can be read, not guessed.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

FAULT_DUMPS = {"PYTHONFAULTHANDLER": "1"}


def stop_or_dump(
    process: subprocess.Popen[bytes], how: signal.Signals, timeout: float, log: Path, name: str
) -> None:
    """Send `how`; if `process` has not exited within `timeout` s, fail with its thread stacks
    (read from `log`, where its stderr goes)."""
    process.send_signal(how)
    try:
        process.wait(timeout=timeout)
        return
    except subprocess.TimeoutExpired:
        pass
    process.send_signal(signal.SIGABRT)  # faulthandler writes the stacks, then the child dies
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the child's own children too
    except ProcessLookupError:
        pass
    process.wait()
    text = log.read_text(encoding="utf-8", errors="replace")
    start = text.rfind("Fatal Python error")
    stacks = text[start:] if start >= 0 else text[-4000:]
    raise AssertionError(
        f"{name} did not stop within {timeout:.0f} s after {how.name}; its threads were:\n"
        f"{stacks[-12000:]}"
    )
