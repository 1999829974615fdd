"""`python scripts/bench_emulator.py <the emulator's CLI arguments>`: the Nexus emulator as the
benchmark runs it, with two costs that grow with the whole state on every write taken out, so
that at thousands of objects the project, not the emulator, is what is measured:

* the save of the whole state to the data directory after every write (a deep copy and a JSON
  dump of everything, under the state lock): ~0.3 s at 3,000 objects. A real Nexus commits one
  row per change;
* the built-in privileges (12 per repository) built afresh for every role or privilege write:
  39 % of the emulator's CPU in a first `up` of 2,000 objects. Here they are built again only
  when the set of repositories changed.

Both belong fixed in the emulator itself (tests/emulator/); until then the benchmark says so.
"""
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.emulator import state  # noqa: E402
from tests.emulator.handlers import security  # noqa: E402
from tests.emulator.__main__ import main  # noqa: E402

state.NexusState.persist = lambda self: None  # type: ignore[method-assign]

_built_for: dict[str, Any] = {"key": None, "privileges": {}}
_build = security.builtin_privileges


def builtin_privileges(nexus: state.NexusState) -> dict[str, dict]:
    key = tuple((name, repo["format"]) for name, repo in nexus.repositories.items())
    if key != _built_for["key"]:
        _built_for.update(key=key, privileges=_build(nexus))
    return dict(_built_for["privileges"])  # callers add to the dict they get


security.builtin_privileges = builtin_privileges
sys.exit(main())
