"""The engine floor: one trivial dynamic resource per object of the benchmark stack (same N,
same inputs), registered like the project registers its own, with a provider that never leaves
the process. Whatever the project costs above this, it costs in its own code."""
import json
from pathlib import Path

import pulumi

from floor_provider import Trivial

objects = json.loads(Path("objects.json").read_text())
root = Trivial("root", {"name": "root"})
for kind, spec in objects:
    Trivial(f"{kind}-{spec.get('name') or spec.get('id') or spec.get('userId')}", spec,
            opts=pulumi.ResourceOptions(depends_on=[root]))
