"""Ends a dynamic-provider process whose Pulumi CLI is gone.

The CLI starts each plugin in its own process group, so a SIGKILL of `pulumi` (a lost CI
runner, `kill -9`) does not reach them; the Python dynamic-provider server then waits for
requests that never come, for ever (measured: still running minutes later, holding its
sockets). The provider's process tree is `pulumi` -> `sh pulumi-resource-pulumi-python` ->
`python -m pulumi.dynamic`; a daemon thread watches the `pulumi` ancestor and exits this
process within a second of it disappearing. On other systems (no /proc) it does nothing.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Optional

POLL_SECONDS = 0.5
_started = False
_lock = threading.Lock()


def proc_stat(pid: int) -> Optional[list[str]]:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields after the command name: state, ppid, ...


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def engine_process() -> Optional[tuple[int, str]]:
    """(pid, start time) of the nearest `pulumi` ancestor, or None."""
    pid = os.getppid()
    for _ in range(4):
        fields = proc_stat(pid)
        if fields is None or pid <= 1:
            return None
        if _name(pid) == "pulumi":
            return pid, fields[19]
        pid = int(fields[1])
    return None


def _watch(pid: int, started: str) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        fields = proc_stat(pid)
        if fields is None or fields[19] != started or fields[0] == "Z":
            os._exit(1)  # the engine is gone: nobody will ever read our answers


def hold() -> None:
    """Start watching the engine, once per process."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    found = engine_process()
    if found is not None:
        threading.Thread(target=_watch, args=found, name="engine-lifeline", daemon=True).start()
