"""nexusctl: the project's command line (demo, drift check, adopt, reports, verification).

It works in two places. In a checkout of the repository it is the checkout's own tool: the
library is the checkout's `components/` and the project is the checkout. Installed (`pip install
nexus-registry`), the library is the `nexus_registry` package, which nexusctl imports by its
checkout name (`components`, answered by components/legacy.py's finder, which nexusctl lets
claim the name: it runs no project code that could own it), and the project is the Pulumi
project of the current directory (nexusctl/engine.py).
"""
from __future__ import annotations

import importlib
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent  # a checkout's root, when this is one
IN_CHECKOUT = (CHECKOUT / "components" / "__init__.py").is_file() and (CHECKOUT / "__main__.py").is_file()

if not IN_CHECKOUT:
    importlib.import_module("nexus_registry.legacy").answer_checkout_name("nexus_registry", claims=True)
