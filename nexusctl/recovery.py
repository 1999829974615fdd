"""What a killed `pulumi` leaves behind, put right before the next command.

Measured on the CLI v3.259.0 with the file (DIY) backend, a SIGKILL mid-`up` leaves:
* the stack's lock (`.pulumi/locks/organization/<project>/<stack>/<uuid>.json`), so every later
  command fails with "the stack is currently locked" until `pulumi cancel`;
* sometimes a 0-byte `<file>.attrs` sidecar: gocloud's fileblob truncates it, then writes it,
  then renames the new state file in place, so a kill in between leaves it empty and every
  command — `pulumi cancel` included — fails with "failed to load checkpoint: EOF";
* its plugins running: each is started in its own process group (setpgid), so they do not get
  the signal; the Python language host exits only at its next engine health check (5 min), the
  dynamic-provider process never (components.lifeline now ends it within a second);
* with per-step checkpoints, a pending "creating" operation per create in flight, kept in the
  state (and warned about at every `up`) until cleared by hand.

`recover()` clears a lock whose process no longer runs on this machine and rebuilds a broken
sidecar from the file it describes, each with a message on stderr. `interrupted_creates()` and
`clear_resolved_creates()` turn the pending creates into the record the providers use and clear
them once the objects are in the state. `supervised()` runs pulumi so that nothing it started
outlives it by more than a few seconds.
"""
from __future__ import annotations

import base64
import ctypes
import gzip
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional, Sequence
from urllib.parse import unquote, urlparse

from components.lifeline import proc_stat

SECRET_SIG = "4dabf18193072939515e22adb298388d"  # marks an encrypted value in exported state
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
GRACE_SECONDS = 3.0


def say(message: str) -> None:
    print(f"nexusctl: {message}", file=sys.stderr, flush=True)


# --- the file backend --------------------------------------------------------------------------
def backend_dir(env: Mapping[str, str]) -> Optional[Path]:
    """The folder of a file:// backend; None for any other backend (nothing local to repair)."""
    url = env.get("PULUMI_BACKEND_URL", "")
    if not url.startswith("file://"):
        return None
    parsed = urlparse(url)
    path = unquote(parsed.netloc + parsed.path)
    return Path(os.path.expanduser(path)) / ".pulumi"


def recover(stack: str, project: str, env: Mapping[str, str]) -> None:
    """Repairs what a killed run left in a file backend, saying what it did."""
    root = backend_dir(env)
    if root is None or not root.is_dir():
        return
    for sidecar in root.rglob("*.attrs"):
        _repair_sidecar(sidecar)
    _restore_unreadable_state(root / "stacks" / project, stack)
    for lock in sorted((root / "locks" / "organization" / project / stack).glob("*.json")):
        _clear_if_stale(lock)


def _repair_sidecar(sidecar: Path) -> None:
    try:
        json.loads(sidecar.read_bytes() or b"!")
        return
    except ValueError:
        pass
    described = sidecar.with_name(sidecar.name[:-len(".attrs")])
    if not described.exists():
        sidecar.unlink()  # written for a file whose rename never happened
        say(f"removed {sidecar}: a killed run wrote it for a file that was never saved")
        return
    content = described.read_bytes()
    kind = "application/x-gzip" if content[:2] == b"\x1f\x8b" else "text/plain; charset=utf-8"
    sidecar.write_text(json.dumps({
        "user.cache_control": "", "user.content_disposition": "", "user.content_encoding": "",
        "user.content_language": "", "user.content_type": kind, "user.metadata": None,
        "md5": base64.b64encode(hashlib.md5(content).digest()).decode()}, separators=(",", ":")) + "\n")
    say(f"rebuilt {sidecar} (left empty or cut short by a killed run) from {described.name}")


def _restore_unreadable_state(stacks: Path, stack: str) -> None:
    """The state file is replaced atomically, but a full disk or a copy cut short can still
    leave it unreadable: then the backup the backend keeps beside it is restored."""
    for name in (f"{stack}.json", f"{stack}.json.gz"):
        state = stacks / name
        if not state.exists() or _readable(state):
            continue
        backup = state.with_name(state.name + ".bak")
        if not backup.exists() or not _readable(backup):
            say(f"{state} cannot be read and has no readable backup: restore it from your own "
                "backups or `pulumi stack import`")
            return
        kept = state.with_name(f"{state.name}.unreadable-{int(time.time())}")
        state.rename(kept)
        state.write_bytes(backup.read_bytes())
        _repair_sidecar_for(state)
        say(f"{state} could not be read (kept as {kept.name}); restored the backup {backup.name}, "
            "which lacks at most the last step of the interrupted run")


def _repair_sidecar_for(state: Path) -> None:
    sidecar = state.with_name(state.name + ".attrs")
    sidecar.write_bytes(b"")
    _repair_sidecar(sidecar)


def _readable(path: Path) -> bool:
    try:
        data = path.read_bytes()
        json.loads(gzip.decompress(data) if path.suffix == ".gz" else data)
        return True
    except (OSError, ValueError, EOFError):
        return False


def _clear_if_stale(lock: Path) -> None:
    try:
        held = json.loads(lock.read_text())
        pid, host = int(held["pid"]), str(held["hostname"])
    except (OSError, ValueError, KeyError, TypeError):
        return  # not a lock we can judge; pulumi names it in its own message
    if host != socket.gethostname():
        say(f"the stack is locked by a run on {host} (pid {pid}, since {held.get('timestamp')}); "
            "if that run is gone, clear it with `pulumi cancel`")
        return
    if _is_pulumi(pid):
        return  # a live run on this machine: pulumi refuses and names it
    lock.unlink()
    sidecar = lock.with_name(lock.name + ".attrs")
    if sidecar.exists():
        sidecar.unlink()
    say(f"cleared the stack lock left by pulumi (pid {pid}, since {held.get('timestamp')}), which no "
        "longer runs on this machine")


def _is_pulumi(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False
    return os.path.basename(command.decode(errors="replace")).startswith("pulumi")


# --- the record of interrupted creates ---------------------------------------------------------
def read_state(stack: str, project: str, env: Mapping[str, str],
               export: Any) -> Optional[dict[str, Any]]:
    """The stack's latest deployment: read straight from a file backend, else `stack export`."""
    root = backend_dir(env)
    if root is not None:
        for name in (f"{stack}.json", f"{stack}.json.gz"):
            path = root / "stacks" / project / name
            if path.exists() and _readable(path):
                data = path.read_bytes()
                doc = json.loads(gzip.decompress(data) if name.endswith(".gz") else data)
                return (doc.get("checkpoint") or {}).get("latest") or {}
        return None
    text = export()
    return json.loads(text).get("deployment") if text else None


def interrupted_creates(deployment: Optional[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Inputs of the creates an interrupted run left pending, without their secrets."""
    if not deployment:
        return []
    return [_without_secrets(op["resource"].get("inputs") or {})
            for op in deployment.get("pending_operations") or []
            if op.get("type") == "creating" and isinstance(op.get("resource"), dict)]


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items()
                if k != "__provider" and not (isinstance(v, dict) and SECRET_SIG in v)}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def resolved_creates(deployment: Mapping[str, Any]) -> list[str]:
    """URNs of pending creates whose resource is now in the state (taken over since)."""
    present = {r.get("urn") for r in deployment.get("resources") or []}
    return [op["resource"]["urn"] for op in deployment.get("pending_operations") or []
            if op.get("type") == "creating" and op.get("resource", {}).get("urn") in present]


def without_resolved_creates(exported: dict[str, Any]) -> dict[str, Any]:
    """An exported state (`pulumi stack export`) without the pending creates now resolved."""
    deployment = exported.get("deployment") or {}
    resolved = set(resolved_creates(deployment))
    deployment["pending_operations"] = [op for op in deployment.get("pending_operations") or []
                                        if op.get("resource", {}).get("urn") not in resolved]
    return exported


# --- running pulumi so nothing outlives it -----------------------------------------------------
def _libc() -> Optional[ctypes.CDLL]:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _die_with_parent() -> None:
    """In the pulumi child: get SIGTERM (a graceful cancel) when nexusctl dies."""
    libc = _libc()
    if libc is not None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def supervised(cmd: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess:
    """subprocess.run(cmd) for pulumi, with its whole process tree kept on a leash.

    While pulumi runs, nexusctl is a child subreaper: the plugins pulumi starts in their own
    process groups are re-parented to it when pulumi dies, and once pulumi has exited, whatever
    it left is sent SIGTERM, then SIGKILL after a grace period. SIGTERM to nexusctl is passed on
    to pulumi (a graceful cancel: in-flight steps finish and the state is saved), and pulumi
    gets SIGTERM if nexusctl itself is killed."""
    libc = _libc()
    if libc is None or not sys.platform.startswith("linux"):
        return subprocess.run(cmd, **kwargs)
    before = set(_children(os.getpid()))
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        proc = subprocess.Popen(cmd, preexec_fn=_die_with_parent, **_popen_args(kwargs))
        previous = _forward_signals(proc)
        try:
            stdout, stderr = proc.communicate(input=kwargs.get("input"))
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            reap_leftovers(set(_children(os.getpid())) - before)
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _forward_signals(proc: subprocess.Popen) -> dict[int, Any]:
    """SIGTERM and SIGINT go to pulumi (which cancels gracefully), not to nexusctl."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    forward = lambda signum, _frame: proc.send_signal(signum)  # noqa: E731
    return {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}


def _popen_args(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    args = {k: v for k, v in kwargs.items() if k not in ("capture_output", "input", "check")}
    if kwargs.get("capture_output"):
        args["stdout"] = args["stderr"] = subprocess.PIPE
    if kwargs.get("input") is not None:
        args["stdin"] = subprocess.PIPE
    return args


def reap_leftovers(orphans: set[int]) -> list[int]:
    """Ends the processes re-parented to this subreaper (and what they started)."""
    leftovers = [pid for pid in orphans if _alive(pid)]
    for pid in list(leftovers):
        leftovers.extend(descendants(pid))
    if not leftovers:
        _reap(orphans)
        return []
    names = sorted({_name(pid) for pid in leftovers})
    for pid in leftovers:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline and any(_alive(pid) for pid in leftovers):
        _reap(orphans)
        time.sleep(0.1)
    for pid in leftovers:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    time.sleep(0.1)
    _reap(orphans)
    say(f"ended {len(leftovers)} process(es) the interrupted pulumi left running: {', '.join(names)}")
    return leftovers


def _children(parent: int) -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _ppid(int(entry.name)) == parent:
            yield int(entry.name)


def descendants(root: int) -> Iterator[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _ppid(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    pending = list(children.get(root, []))
    while pending:
        pid = pending.pop()
        if _alive(pid):
            yield pid
        pending.extend(children.get(pid, []))


def _ppid(pid: int) -> Optional[int]:
    fields = proc_stat(pid)
    return int(fields[1]) if fields else None


def _alive(pid: int) -> bool:
    fields = proc_stat(pid)
    return fields is not None and fields[0] != "Z"


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return str(pid)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _reap(pids: set[int]) -> None:
    """Collects the exit status of our re-parented orphans (only those: other children of this
    process keep theirs for whoever waits for them)."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
