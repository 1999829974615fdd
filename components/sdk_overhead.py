"""The Pulumi SDK's per-resource costs that the program can spare, without forking the SDK.

Profiled at N=500 and N=2000 (docs/benchmark.md), three things the Python SDK does for every
registered resource took a large share of the program's time:

* debug lines ("preparing resource", "resource registration prepared", "beginning rpc", ...),
  each a blocking `Log` RPC to the engine, which drops them unless the CLI runs with `--debug`
  (15 % of `pulumi preview`'s program time at N=500). The SDK has no switch for them, so the
  modules that send them get a `log` whose `debug` does nothing; info, warnings and errors go
  through unchanged. NEXUS_RAC_SDK_DEBUG=1 keeps them.
* the stack trace sent with each registration: `traceback.extract_stack()` reads the source line
  of every frame, then every frame's path is turned into a URI again. The same frames and
  positions come from walking the frames without reading source, caching each file's URI.
* pickling the provider (dill, recursively) for each resource, although the providers hold no
  state: the pickle of a stateless provider is the same for every instance of its class.

Each is rebinding a name the SDK looks up at call time; the SDK's own code is unchanged.
NEXUS_RAC_SDK_UNTRIMMED=1 leaves the SDK as it is (the benchmark's before/after row).
"""
from __future__ import annotations

import functools
import os
import pathlib
import sys
import types
from typing import Any, Callable, Optional

import pulumi.dynamic.dynamic
import pulumi.log
import pulumi.runtime.resource
import pulumi.runtime.rpc
import pulumi.runtime.rpc_manager
from pulumi.runtime.proto import source_pb2

SWITCH = "NEXUS_RAC_SDK_DEBUG"
UNTRIMMED = "NEXUS_RAC_SDK_UNTRIMMED"
# The SDK modules that log per resource or per RPC (`from .. import log` in each).
CHATTY = (pulumi.runtime.resource, pulumi.runtime.rpc, pulumi.runtime.rpc_manager)
_SDK_STACK_TRACE = pulumi.runtime.resource._get_stack_trace
_SDK_SERIALIZE = pulumi.dynamic.dynamic.serialize_provider


def trim() -> None:
    """Applies all three (idempotent)."""
    if os.environ.get(UNTRIMMED) == "1":
        return
    quiet_debug_lines()
    pulumi.runtime.resource._get_stack_trace = stack_trace
    pulumi.dynamic.dynamic.serialize_provider = serialize_provider


def _no_debug(*_args: Any, **_kwargs: Any) -> None:
    """Dropped here instead of by the engine, one RPC later."""


def quiet_debug_lines() -> None:
    if os.environ.get(SWITCH) == "1":
        return
    stand_in = types.SimpleNamespace(**{name: getattr(pulumi.log, name) for name in ("info", "warn", "error")},
                                     debug=_no_debug)
    for module in CHATTY:
        if getattr(module, "log", None) is pulumi.log:
            module.log = stand_in  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=None)
def _position(filename: str, line: Optional[int]) -> Optional[source_pb2.SourcePosition]:
    if not filename or line is None:
        return None
    try:
        uri = pathlib.Path(filename).as_uri()
    except BaseException:  # noqa: BLE001 - the SDK treats any failure as "no position"
        return None
    return source_pb2.SourcePosition(uri=uri, line=line)


def stack_trace() -> source_pb2.StackTrace:
    """What the SDK's `_get_stack_trace` answers: the frames below the third `__init__` up the
    stack (Resource, CustomResource, the concrete resource class), innermost first."""
    frame = sys._getframe(1)
    inits = 0
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            inits += 1
            if inits == 3:
                break
        frame = frame.f_back
    if frame is None or frame.f_back is None:
        return source_pb2.StackTrace()
    places = []
    caller = frame.f_back
    while caller is not None:
        places.append((caller.f_code.co_filename, caller.f_lineno))
        caller = caller.f_back
    return _trace(tuple(places))


@functools.lru_cache(maxsize=4096)
def _trace(places: tuple[tuple[str, Optional[int]], ...]) -> source_pb2.StackTrace:
    """One message per call path: resources declared in a loop share it (the request copies it)."""
    return source_pb2.StackTrace(frames=[source_pb2.StackFrame(pc=_position(*place)) for place in places])


_serialized: dict[type, str] = {}


def serialize_provider(provider: Any, _serialize: Callable[[Any], str] = _SDK_SERIALIZE) -> str:
    """The SDK's pickle of a provider, made once per class for providers without state."""
    if vars(provider):
        return _serialize(provider)
    cls = type(provider)
    if cls not in _serialized:
        _serialized[cls] = _serialize(provider)
    return _serialized[cls]
