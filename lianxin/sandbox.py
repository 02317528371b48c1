"""Run a function on untrusted input in a fresh child process, within time and memory limits.

`run_limited(fn, *args, seconds=…, memory_bytes=…)` forks a child from a forkserver (never from
the caller, which may be a server with threads), caps the child's address space with
RLIMIT_AS (and its CPU time with RLIMIT_CPU, should the parent die and not kill it), and
kills it when `seconds` pass. Whatever happens inside stays inside: a child that runs out of
memory, crashes or is killed raises `SandboxFailed` here with the reason, and the next call
gets a fresh child. `fn` and its arguments and answer must pickle; `fn` must be importable.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Literal

from lianxin.errors import SandboxFailed

try:
    import resource
except ImportError:  # Windows: no limits but the time limit
    resource = None  # type: ignore[assignment]

# The modules every child needs, imported once by the forkserver so that a child starts in
# milliseconds (the parsers and openpyxl take a second to import). "__main__" too: else each
# child would import the main script again (`lianxin`, uvicorn, pytest) before it starts.
PRELOAD = [
    "__main__",
    "lianxin.sandbox",
    "lianxin.ingest.upload_guard",
    "lianxin.services.transfer",
    "openpyxl",
]

Failure = Literal["timeout", "memory", "died"]


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # heeded only before the forkserver starts
    return context


def warm_up() -> None:
    """Start the forkserver in the background, so that the first call needs not wait for it."""
    if _context().get_start_method() == "forkserver":
        start = multiprocessing.forkserver.ensure_running
        threading.Thread(target=start, name="sandbox-warm-up", daemon=True).start()


def run_limited(
    fn: Callable[..., Any], *args: Any, seconds: float, memory_bytes: int | None
) -> Any:
    """Return `fn(*args)` computed in a child process given `seconds` of wall time and at most
    `memory_bytes` of address space (None: no cap).

    Raises SandboxFailed when the child runs out of time (it is killed) or memory, or dies. An
    exception `fn` raises is not carried over: return the outcome as a value instead.
    """
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(  # type: ignore[attr-defined]
        target=_child, args=(sender, fn, args, memory_bytes, seconds), daemon=True
    )
    started = time.monotonic()
    try:
        process.start()
    except OSError as exc:  # the forkserver died: the next call starts another
        raise SandboxFailed("died", f"could not start: {exc}") from exc
    finally:
        sender.close()
    try:
        left = seconds - (time.monotonic() - started)
        if not receiver.poll(max(left, 0.0)):
            raise SandboxFailed("timeout", f"no answer within {seconds:g} s")
        try:
            outcome, value = receiver.recv()
        except (EOFError, OSError) as exc:
            process.join(1)
            raise SandboxFailed("died", _exit_reason(process.exitcode)) from exc
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()
    if outcome == "memory":
        raise SandboxFailed("memory", str(value))
    if outcome == "crash":
        raise SandboxFailed("died", str(value))
    return value


def _child(
    sender: Connection,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    memory_bytes: int | None,
    seconds: float,
) -> None:
    if resource is not None:
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        cpu = int(seconds) + 5  # the parent kills it first; this is in case the parent died
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    try:
        answer: tuple[str, Any] = ("ok", fn(*args))
    except MemoryError:
        answer = ("memory", "out of memory")
    except BaseException as exc:  # noqa: BLE001  (whatever it is, the parent hears of it)
        answer = ("crash", f"{type(exc).__name__}: {str(exc)[:200]}")
    try:
        sender.send(answer)
    except MemoryError:
        sender.send(("memory", "out of memory sending the answer"))
    finally:
        sender.close()


def near_memory_cap(share: float = 0.9) -> bool:
    """Return True when this process's peak address space reached `share` of its RLIMIT_AS
    (Linux; elsewhere False): a C library that ran out (libxml2 says "unknown error") rarely
    raises MemoryError, so a child's failure is put down to memory by this instead."""
    if resource is None:
        return False
    cap = resource.getrlimit(resource.RLIMIT_AS)[0]
    if cap == resource.RLIM_INFINITY:
        return False
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            peak = next(line for line in status if line.startswith("VmPeak:"))
    except (OSError, StopIteration):
        return False
    return int(peak.split()[1]) * 1024 >= share * cap


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by signal {-code}"
    return f"exited with {code}"
