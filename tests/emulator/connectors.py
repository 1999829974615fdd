"""Placeholder: docker connectors (one listener per repository httpPort)."""
from __future__ import annotations

from typing import Any


class _NoConnectors:
    def shutdown(self) -> None:
        pass


def start(emulator: Any) -> _NoConnectors:
    return _NoConnectors()
