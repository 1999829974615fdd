"""Placeholder: filled in by the owner of this area."""
from __future__ import annotations

from ..routing import Router
from ..state import NexusState


def register(router: Router, state: NexusState) -> None:
    pass
