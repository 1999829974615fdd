"""Keeps the Pulumi SDK's per-resource debug messages in the program unless asked for.

The Python SDK logs several debug lines per registered resource ("preparing resource",
"resource registration prepared", "beginning rpc", ...), each a blocking `Log` RPC to the
engine, which drops them unless the CLI runs with `--debug`. Profiled at N=500 (`pulumi
preview`, py-spy, docs/benchmark.md) they were 15 % of the program's time. The SDK has no
switch for them, so the program rebinds the `log` module its runtime modules call to a
stand-in whose `debug` does nothing; info, warnings and errors go through unchanged, and
NEXUS_RAC_SDK_DEBUG=1 keeps the debug lines (e.g. with `pulumi up --debug`).
"""
from __future__ import annotations

import os
import types
from typing import Any

import pulumi.log
import pulumi.runtime.resource
import pulumi.runtime.rpc
import pulumi.runtime.rpc_manager

SWITCH = "NEXUS_RAC_SDK_DEBUG"
# The SDK modules that log per resource or per RPC (`from .. import log` in each).
CHATTY = (pulumi.runtime.resource, pulumi.runtime.rpc, pulumi.runtime.rpc_manager)


def _no_debug(*_args: Any, **_kwargs: Any) -> None:
    """Dropped here instead of by the engine, one RPC later."""


def quiet() -> None:
    """Rebinds the SDK runtime's `log` to one without debug messages (idempotent)."""
    if os.environ.get(SWITCH) == "1":
        return
    stand_in = types.SimpleNamespace(**{name: getattr(pulumi.log, name) for name in ("info", "warn", "error")},
                                     debug=_no_debug)
    for module in CHATTY:
        if getattr(module, "log", None) is pulumi.log:
            module.log = stand_in  # type: ignore[attr-defined]
