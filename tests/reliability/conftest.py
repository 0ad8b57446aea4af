"""Fixtures shared with the security tests (logged-in clients), and a guard: no test here may
leave a child process or a non-daemon thread alive.

These tests start processes (journal writers, Celery workers, redis-server) and threads (50
concurrent attempts). One that outlives its test keeps pytest from exiting: a hung non-daemon
child once held CI for 90 minutes. The guard kills what is left (whole process groups) and fails
the test that left it, naming it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.security.conftest import client_for  # noqa: F401


def _processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line) of every process (Linux /proc)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        table[int(entry.name)] = (int(ppid), state, cmdline.strip() or stat.split()[1])
    return table


def living_descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid`` that is not a zombie (an exited, unreaped child holds
    nothing and blocks nobody), as pid -> command line."""
    table = _processes()
    found: dict[int, str] = {}
    parents = {pid}
    while parents:
        children = {p for p, (ppid, _s, _c) in table.items() if ppid in parents and p not in found}
        for child in children:
            found[child] = table[child][2]
        parents = children
    return {p: cmd for p, cmd in found.items() if table[p][1] != "Z"}


def _kill(pids) -> None:
    """SIGKILL each process, and its whole group when it leads one (a Celery worker's pool)."""
    for pid in pids:
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.fixture(autouse=True)
def no_process_or_thread_left_behind():
    threads_before = set(threading.enumerate())
    yield
    # A process stopped a moment ago may still be on its way out: a short grace period.
    deadline = time.monotonic() + 5
    left = living_descendants(os.getpid())
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = living_descendants(os.getpid())
    threads = [
        t
        for t in threading.enumerate()
        if t not in threads_before and t.is_alive() and not t.daemon
    ]
    if left:
        _kill(left)
    assert not left, f"child processes left alive (now killed): {left}"
    assert not threads, f"non-daemon threads left alive: {threads}"
