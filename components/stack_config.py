"""The stack's config values as the program and the checks read them, and where its secrets are.

Secrets (admin password, S3 keys, proxy and LDAP passwords, user passwords, webhook secrets,
keystore password, CA key, client key) must be set with `pulumi config set --secret [--path]`;
the loader refuses them in plain text (components/config.py) and `spec` hands them to the
resources as Pulumi secrets.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

import pulumi

from .problems import Problem

# Config paths whose values are secrets ("*" = any list index or map key): the schemas'
# writeOnly fields (tests/test_config.py holds the two together).
SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    ("adminPassword",),
    ("blobStores", "*", "secretAccessKey"),
    ("blobStores", "*", "sessionToken"),
    ("repositories", "*", "authentication", "password"),
    ("security", "passwords", "*"),
    ("security", "ldap", "*", "authPassword"),
    ("webhooks", "*", "secret"),
    ("tls", "keystorePassword"),
    ("tls", "ca", "keyPem"),
    ("nexus", "tls", "clientKeyPem"),
)


@dataclass
class StackConfig:
    """The stack's config values, keyed by top-level key (without the project namespace)."""

    values: dict[str, Any]
    secret_keys: frozenset[str] = frozenset()
    stack: str = ""
    # Entries read from side files (components.stack_files): config path -> "file:line", and
    # what is wrong with the files themselves.
    origins: Mapping[str, str] = field(default_factory=dict)
    file_problems: tuple[Problem, ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value

    @property
    def nexus(self) -> dict[str, Any]:
        return self.get("nexus", {})

    def adopt(self, item: Mapping[str, Any]) -> bool:
        """An object's own `adopt` wins over the stack-wide `nexus.adopt`."""
        own = item.get("adopt")
        return bool(self.nexus.get("adopt") if own is None else own)  # absent: no (nexus.adopt's schema default)

    def spec(self, path: Sequence[Any], item: Mapping[str, Any]) -> dict[str, Any]:
        """A resource's inputs from one config object: adopt resolved, `protect` left to the
        resource options, secret fields wrapped as Pulumi secrets."""
        spec = copy.deepcopy(dict(item))
        spec.pop("protect", None)
        spec["adopt"] = self.adopt(item)
        for secret_path, value in iter_secret_values({path[0]: _nest(path[1:], spec)}):
            rel = secret_path[len(path):]
            node = spec
            for part in rel[:-1]:
                node = node[part]
            node[rel[-1]] = pulumi.Output.secret(value)
        return spec


def _nest(path: Sequence[Any], leaf: Any) -> Any:
    """Rebuild the config tree around one object so SECRET_PATHS patterns match it."""
    for part in reversed(path):
        # An index as a mapping key: "*" matches it as it matches a list position, without a
        # list as long as the index (which made a 5,000-object stack quadratic).
        leaf = {part: leaf}
    return leaf


def iter_secret_values(values: Mapping[str, Any]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(concrete path, value) for every secret field present in the config."""
    for pattern in SECRET_PATHS:
        yield from match(values, pattern, ())


def match(node: Any, pattern: tuple[str, ...], prefix: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(concrete path, value) of every value at `pattern` ("*": any list index or map key)."""
    if not pattern:
        if node is not None:
            yield prefix, node
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(node, list):
            for i, child in enumerate(node):
                yield from match(child, rest, prefix + (i,))
        elif isinstance(node, dict):
            for k, child in node.items():
                yield from match(child, rest, prefix + (k,))
    elif isinstance(node, dict) and head in node:
        yield from match(node[head], rest, prefix + (head,))


def is_secret_path(path: Sequence[Any]) -> bool:
    return any(len(p) == len(path) and all(a == "*" or a == b for a, b in zip(p, path))
               for p in SECRET_PATHS)
