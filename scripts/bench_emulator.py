"""`python scripts/bench_emulator.py <the emulator's CLI arguments>`: the Nexus emulator as the
benchmark runs it, without saving its whole state to its data directory after every write.

That save (a deep copy and a JSON dump of everything, under the state lock) costs O(state) per
request: ~0.3 s at 3,000 objects on the benchmark machine, so at thousands of objects the
emulator, not the project, would be what is measured. A real Nexus commits one row per change.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.emulator import state  # noqa: E402
from tests.emulator.__main__ import main  # noqa: E402

state.NexusState.persist = lambda self: None  # type: ignore[method-assign]
sys.exit(main())
