"""The stack's own record of creates an interrupted run left unfinished.

When a `pulumi up` with per-step checkpoints dies mid-way (SIGKILL, a lost CI runner), the
engine leaves a pending "creating" operation in the stack's state for every create that was in
flight, holding the inputs it sent. The state lives in the backend, so the record is the same
on every machine that runs the stack. The project's commands (`nexusctl`, `make up`) read those
operations before a run and hand their inputs to the providers through a file named by
NEXUS_RAC_INTERRUPTED_CREATES (secrets stripped, outside the repository); a provider that finds
an object on the server which differs from the config then takes it over only when it is
exactly what this stack's interrupted run sent.

Objects that match the config are taken over without this record (components.provider).
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Mapping, Optional, Protocol

RECORD_ENV = "NEXUS_RAC_INTERRUPTED_CREATES"

_lock = threading.Lock()
_loaded: Optional[list[dict[str, Any]]] = None


class _Provider(Protocol):
    @property
    def engine_fields(self) -> tuple[str, ...]: ...

    def object_id(self, spec: Mapping[str, Any]) -> str: ...

    def to_spec(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]: ...


def records() -> list[dict[str, Any]]:
    """The inputs of the creates the last interrupted run left pending (empty when none)."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _read(os.environ.get(RECORD_ENV, ""))
        return _loaded


def _read(path: str) -> list[dict[str, Any]]:
    if not path:
        return []
    try:
        found = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return []
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def created_by_this_stack(provider: _Provider, existing: Mapping[str, Any], spec: Mapping[str, Any]) -> bool:
    """Whether `existing` (the server's document) is exactly what an interrupted run of this
    stack sent for the object `spec` names."""
    wanted = provider.object_id(spec).lower()
    for inputs in records():
        try:
            if provider.object_id(inputs).lower() != wanted:
                continue
            sent = {k: v for k, v in inputs.items() if k not in provider.engine_fields}
            on_server = {k: v for k, v in provider.to_spec(existing, inputs).items()
                         if k not in provider.engine_fields}
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # another kind's record
        if all(on_server.get(k) == v for k, v in sent.items()) and set(on_server) <= set(sent):
            return True
    return False


def write_record(inputs: list[Mapping[str, Any]], path: Path) -> None:
    """Writes the record for the providers (by nexusctl, before a run); readable by the owner only."""
    path.write_text(json.dumps(list(inputs)))
    path.chmod(0o600)
