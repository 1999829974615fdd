"""Loads the stack config and validates all of it before any resource is registered.

Validation has three layers, all reported together so one run shows every mistake:
1. JSON Schema per top-level key (components/config_schema.py composes them from the kinds'
   fragments and the other sections' schemas; schemas/<key>.schema.json are those documents);
2. secrets: every secret field must have been set with `pulumi config set --secret`;
3. each kind's own checks (components/kinds: names, members, ports, policies, blob stores, server
   capabilities), the presets' and the stand-up's.
Messages name the config path (`repositories[2].blobStore`) and the fix.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional

import pulumi
from pulumi.runtime import config as runtime_config

from . import presets, retention, stack_files
from .config_schema import KEYS, validator
from .kinds import KINDS
from .problems import ConfigError, Problem, ServerFacts, format_path
from .schema import document_problems
from .stack_config import StackConfig, iter_secret_values
from .standup.checks import standup_problems


# --- loading --------------------------------------------------------------------------------
def load_from_pulumi() -> StackConfig:
    """Reads every config key of this project from the running Pulumi program."""
    project = pulumi.get_project()
    values: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for full_key, raw in runtime_config.CONFIG.get().items():
        namespace, _, key = full_key.partition(":")
        if namespace != project:
            continue
        values[key] = _parse(raw)
        if runtime_config.is_config_secret(full_key):
            secret_keys.add(key)
    return with_side_files(StackConfig(values, frozenset(secret_keys), pulumi.get_stack()))


def with_side_files(cfg: StackConfig, project_dir: Optional[Path] = None) -> StackConfig:
    """The config with the object lists of stacks/<stack>/*.yaml added (components.stack_files)."""
    if not cfg.stack:
        return cfg
    side = stack_files.merge(cfg.values, stack_files.folder(cfg.stack, project_dir))
    if not side.files and not side.problems:
        return cfg
    return StackConfig(side.values, cfg.secret_keys, cfg.stack, side.origins,
                       tuple(Problem(where, what) for where, what in side.problems))


def _parse(raw: Any) -> Any:
    """Structured config arrives as JSON text; plain strings stay strings."""
    if isinstance(raw, str):
        text = raw.strip()
        if text[:1] in "[{" or text in ("true", "false", "null") or re.fullmatch(r"-?\d+(\.\d+)?", text):
            try:
                return json.loads(text)
            except ValueError:
                return raw
    return raw


# --- validation -----------------------------------------------------------------------------
def validate(cfg: StackConfig, server: Optional[ServerFacts] = None) -> list[Problem]:
    """Every problem in the config; empty when it is good to apply."""
    if cfg.file_problems:
        return list(cfg.file_problems)  # the side files must be readable before anything else
    return [_located(p, cfg.origins) for p in _problems(cfg, server)]


def _located(problem: Problem, origins: Mapping[str, str]) -> Problem:
    """A problem inside an entry read from a side file also names that file and line."""
    where = stack_files.locate(problem.path, origins) if origins else None
    return Problem(f"{where} {problem.path}", problem.message, schema=problem.schema) if where else problem


def _problems(cfg: StackConfig, server: Optional[ServerFacts] = None) -> list[Problem]:
    problems = shape_problems(cfg)
    if not any(p.schema for p in problems):  # the kinds' checks assume the shapes the schema guarantees
        expanded, preset_problems = expanded_values(cfg)
        as_written = [p for kind in KINDS for p in kind.raw_problems(cfg.values)]
        problems += as_written + _except_at({p.path for p in as_written}, [
            *preset_problems,
            *(p for kind in KINDS for p in kind.problems(expanded, server)),
            *standup_problems(expanded)])
    return problems


def shape_problems(cfg: StackConfig) -> list[Problem]:
    """What no server can make right: unknown or missing keys, schema errors, secrets in plain
    text. When there is any, the server is not asked anything."""
    return [*schema_problems(cfg.values), *_admin_password_problems(cfg.values), *secret_problems(cfg)]


def _except_at(paths: set[str], problems: Iterable[Problem]) -> list[Problem]:
    """Problems at other paths (a renamed repository's old name is explained once, by the check
    of the config as written)."""
    return [p for p in problems if p.path not in paths]


def expanded_values(cfg: StackConfig) -> tuple[dict[str, Any], list[Problem]]:
    """The config with the one-line presets replaced by what they stand for."""
    values, problems = presets.expand(cfg.values)
    values, retention_problems = retention.expand(values)
    return values, problems + retention_problems


def require_valid(cfg: StackConfig, server: Optional[ServerFacts] = None) -> None:
    problems = validate(cfg, server)
    if problems:
        raise ConfigError(problems, cfg.stack)


def schema_problems(values: Mapping[str, Any]) -> Iterator[Problem]:
    for key in values:
        if key not in KEYS:
            yield Problem(key, f"unknown config key; known keys: {', '.join(KEYS)}", schema=True)
    yield from _nexus_problems(values)
    for key in KEYS:
        if values.get(key) is not None and not (key == "nexus" and isinstance(values[key], str)):
            yield from document_problems(key, validator(key), values[key])


def _nexus_problems(values: Mapping[str, Any]) -> Iterator[Problem]:
    """`nexus` missing or given as its url alone, with the command that sets it right."""
    nexus = values.get("nexus")
    if nexus is None:
        yield Problem("nexus", "missing: set at least nexus.url (pulumi config set --path nexus.url "
                      "http://host:8081)", schema=True)
    elif isinstance(nexus, str):
        yield Problem("nexus", f"must be an object with url, not a string: write `nexus: {{url: {nexus}}}` "
                      f"(pulumi config set --path nexus.url {nexus})", schema=True)


def _admin_password_problems(values: Mapping[str, Any]) -> list[Problem]:
    if values.get("adminPassword") is not None:
        return []
    return [Problem("adminPassword", "missing: the desired admin password is required "
                    "(pulumi config set --secret adminPassword <password>)")]


def secret_problems(cfg: StackConfig) -> Iterator[Problem]:
    for path, _ in iter_secret_values(cfg.values):
        if format_path(path) in cfg.origins:
            cut = 2 if isinstance(path[1], int) else 3  # repositories[i]... / security.ldap[i]...
            where = f"{format_path(path[:cut - 1])}[<its index there>].{format_path(path[cut:])}"
            yield Problem(format_path(path), "is a secret, and side files are plain text: move this entry "
                                             "into the stack file's list and set the secret there with "
                                             f"pulumi config set --secret --path '{where}' <value>")
        elif path[0] not in cfg.secret_keys:
            shown = format_path(path)
            command = (f"pulumi config set --secret {shown}" if len(path) == 1 else
                       f"pulumi config set --secret --path '{shown}' <value>")
            yield Problem(shown, f"is a secret but is stored in plain text in the stack file; "
                                 f"remove it and run: {command}")


