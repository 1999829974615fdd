"""Turns a validated stack config into resources: the bootstrap, then every kind of the table
(components/kinds `KINDS`) in its order, each after what it refers to."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import pulumi

from . import config, preflight
from .kind import Context
from .kinds import KINDS
from .problems import ConfigError, Problem
from .stack_config import StackConfig
from .standup import bootstrap


def stack_config() -> StackConfig:
    """The running stack's config as written (the project namespace's keys and side files), not
    yet validated: what `NexusRegistry` takes when the program builds the stack from it."""
    return config.load_from_pulumi()


def load_validated_config() -> StackConfig:
    """The running stack's whole config, checked (see `validated`)."""
    return validated(stack_config())


def validated(cfg: StackConfig, given: Sequence[Problem] = ()) -> StackConfig:
    """The whole config, checked before anything is registered (so nothing is written when any
    of it is wrong), with presets expanded; `given` are problems the caller found (a library
    user's secrets in plain text). The server is asked only when the config needs it."""
    problems = [*given, *config.validate(cfg)]
    # Wrong shapes (a missing url, nexus given as a string) are reported as they are: the
    # server is asked only about a config whose shapes are right, with a password to log in.
    if (not given and not any(p.schema for p in problems) and cfg.get("adminPassword")
            and (problems or preflight.needs_server(config.expanded_values(cfg)[0]))):
        facts = preflight.server_facts(cfg)
        if facts is not None:
            problems = config.validate(cfg, facts)
    if problems:
        raise pulumi.RunError(str(ConfigError(problems, cfg.stack)))
    expanded, _ = config.expanded_values(cfg)
    return StackConfig(expanded, cfg.secret_keys, cfg.stack)


def declare(cfg: StackConfig, depends_on: Sequence[pulumi.Resource] = (),
            bootstrap_inputs: Optional[Mapping[str, Any]] = None,
            stack_ca_pem: Optional[pulumi.Input[str]] = None) -> Context:
    """The registry itself: the bootstrap (after the stand-up's `depends_on`, with its
    `bootstrap_inputs`), then every kind in table order (the trust store may take the stack's
    CA, `stack_ca_pem`)."""
    ctx = Context(cfg, bootstrap.declare(cfg, depends_on, bootstrap_inputs), stack_ca_pem=stack_ca_pem)
    for kind in KINDS:
        ctx.declared[kind.name] = kind.declare(ctx)
    return ctx
