"""Every format but docker: one provider and resource class per format and type the known
releases offer (`nexus:MavenHostedRepository`, `nexus:NpmProxyRepository`, ...), made from the
format's blocks (formats.py). A block is sent as the config writes it, named as in the REST body,
and read back field by field: only the fields the config sets are managed (a release answers
defaults for the others that differ between releases, e.g. maven's contentDisposition).

Signing keys and `replication` are never answered by Nexus (apt answers the key pair but never
its passphrase): they are write-only, compared with the last applied value.
"""
from __future__ import annotations

import copy
from typing import Any, ClassVar, Mapping, Optional

from ...client import ServerInfo
from ...provider import Path, Spec, compact
from ...resource import NexusResource
from .formats import DOCKER, block_names, formats, nexus_name, secret_fields, spelling, types_of
from .providers import GroupRepository, HostedRepository, ProxyRepository, RepositoryProvider

NEVER_ANSWERED = ("replication",)  # Pro + PostgreSQL only: taken, never in a GET


class FormatBlocks(RepositoryProvider):
    """The blocks of one format and type, on top of the type's shared sections."""

    blocks: ClassVar[tuple[str, ...]] = ()

    def fields(self, entry: Mapping[str, Any]) -> Spec:
        # An empty block says nothing (Pulumi keeps no empty objects either).
        return {**super().fields(entry), **{b: copy.deepcopy(dict(entry[b])) for b in self.blocks
                                            if isinstance(entry.get(b), Mapping) and entry[b]}}

    def add_body(self, body: dict[str, Any], spec: Spec, server: Optional[ServerInfo]) -> dict[str, Any]:
        body = super().add_body(body, spec, server)
        body.update({b: copy.deepcopy(spec[b]) for b in self.blocks if spec.get(b) is not None})
        return body

    def fields_from(self, doc: Mapping[str, Any], previous: Mapping[str, Any]) -> Spec:
        out = super().fields_from(doc, previous)
        for block in self.blocks:
            managed = previous.get(block)
            if not isinstance(managed, Mapping) or not managed:
                continue  # not in the config: not managed
            if block in NEVER_ANSWERED:
                out[block] = copy.deepcopy(dict(managed))
                continue
            answered = doc.get(block) or {}
            secrets = secret_fields(block)
            out[block] = compact({k: answered.get(k) for k in managed if k not in secrets})
        return out


def adoptable(provider: FormatBlocks, doc: Mapping[str, Any], name: str) -> Spec:
    """A server document as a spec with every answered block field (adopt writes them out)."""
    blocks = {b: {k: v for k, v in doc[b].items() if v is not None}
              for b in provider.blocks if isinstance(doc.get(b), Mapping)}
    blocks = {b: fields for b, fields in blocks.items() if fields}
    return provider.to_spec(doc, {"name": name, **blocks})


TYPE_BASES: dict[str, type[RepositoryProvider]] = {"hosted": HostedRepository, "proxy": ProxyRepository,
                                                   "group": GroupRepository}
RESOURCE_DOCS = {"hosted": "A {fmt} hosted repository (uploads land here). Protected by default: it holds data.",
                 "proxy": "A {fmt} proxy repository (a cache of a remote).",
                 "group": "A {fmt} group repository (one endpoint over its members)."}


def _classes(fmt: str, repo_type: str) -> type[NexusResource]:
    name = f"{spelling(fmt)}{repo_type.capitalize()}"
    blocks = block_names(fmt, repo_type)
    write_only: tuple[Path, ...] = tuple((b, f) for b in blocks for f in secret_fields(b))
    if repo_type == "proxy":
        write_only = (("authentication", "password"), *write_only)
    provider = type(f"{name}Provider", (FormatBlocks, TYPE_BASES[repo_type]), {
        "__module__": __name__, "__doc__": RESOURCE_DOCS[repo_type].format(fmt=fmt),
        "format": nexus_name(fmt), "format_path": fmt, "repo_type": repo_type, "blocks": blocks,
        "kind": f"{fmt} {repo_type} repository", "resource_type": f"nexus:{name}Repository",
        "write_only": write_only})
    return type(f"{name}Repository", (NexusResource,), {
        "__module__": __name__, "__doc__": RESOURCE_DOCS[repo_type].format(fmt=fmt),
        "protected": repo_type == "hosted"}, provider=provider)


# (format as the config names it, type) -> resource class, for every format but docker.
RESOURCES: dict[tuple[str, str], type[NexusResource]] = {
    (fmt, repo_type): _classes(fmt, repo_type) for fmt in formats() if fmt != DOCKER for repo_type in types_of(fmt)}
