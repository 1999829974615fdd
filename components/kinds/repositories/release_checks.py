"""A repository entry against the official spec of the detected release (formats.py): the format
and type must exist there, every block field must be one that release knows, of its type and
enum, and what it requires must be there (after the schema's defaults). Without a reachable
server the release is the container image's tag (`container.image`) or, failing that, the newest
release this program knows; the server's own release is checked when it can be asked.

And a cleanup policy applies to repositories of its own format (or `*`): Nexus lists only those
policies for a repository and refuses another format's.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence

from ...problems import Problem, ServerFacts, Values
from ...schema import Fragment
from .formats import (DOCKER, TYPES, ReleaseApi, Version, api_with, block_names, first_release, formats,
                      history, nexus_name, offered_in, parse_version, releases, secret_fields, shown, types_of)
from .providers import SCHEMA

CONTAINER = Fragment.section("container")

IMAGE_TAG = re.compile(r":(\d+\.\d+\.\d+)[^:/@]*$")


def detected_release(values: Values, server: Optional[ServerFacts]) -> tuple[Optional[Version], str]:
    """(release, how it is known) for messages: the server's, the container image's, or none."""
    if server is not None:
        return tuple(server.version), f"Nexus {shown(tuple(server.version))}"  # type: ignore[return-value]
    container = values.get("container")
    if isinstance(container, Mapping):
        tag = IMAGE_TAG.search(str(CONTAINER.with_defaults(container).get("image", "")))
        if tag:
            version = parse_version(tag.group(1))
            return version, f"Nexus {shown(version)} (container.image)"
    newest = releases()[-1]
    return None, f"Nexus {newest.label} (the newest release this program knows; the server is checked when reachable)"


def release_problems(at: str, repo: Mapping[str, Any], values: Values, server: Optional[ServerFacts]) -> list[Problem]:
    version, where = detected_release(values, server)
    fmt, repo_type = repo.get("format", DOCKER), repo["type"]
    if not offered_in(fmt, repo_type, version):
        return [_missing(at, fmt, repo_type, version, where)]
    if fmt == DOCKER:
        return []
    api = api_with(fmt, repo_type, version)
    problems = _written_problems(at, repo, api, where)
    problems += _required_problems(at, SCHEMA.with_defaults(repo), api, where)
    if repo_type == "group" and repo.get("writableMember"):
        group = api.resolve(api.request(fmt, repo_type)["properties"]["group"])
        if "writableMember" not in (group.get("properties") or {}):
            problems.append(Problem(f"{at}.writableMember", f"{where} has no writableMember for {fmt} groups "
                                    "(only docker, npm, pypi, conan and oci groups take uploads); remove it"))
    return problems


def _missing(at: str, fmt: str, repo_type: str, version: Optional[Version], where: str) -> Problem:
    since = first_release(fmt, repo_type)
    gone = history_end(fmt, repo_type)
    when = (f"Nexus {gone} removed them" if gone and version and version >= parse_version(gone) else
            f"they exist from Nexus {since}" if since else "")
    types = [t for t in TYPES if offered_in(fmt, t, version)]
    if not types:
        fix = "Remove this entry" if gone and version and version >= parse_version(gone) else \
            "Upgrade Nexus or remove this entry"
        return Problem(f"{at}.format", f"{where} has no {fmt} repositories ({fmt} {repo_type}: {when}). {fix} "
                                       "(formats of this release: "
                                       f"{', '.join(f for f in formats() if any(offered_in(f, t, version) for t in TYPES))})")
    if since:
        return Problem(f"{at}.type", f"{where} has no {fmt} {repo_type} repositories ({when}; this release offers "
                                     f"{fmt} {', '.join(types)}). Upgrade Nexus or change the type")
    return Problem(f"{at}.type", f"Nexus has no {fmt} {repo_type} repositories in any release this program "
                                 f"knows ({fmt} is {', '.join(types_of(fmt))} only)")


def history_end(fmt: str, repo_type: str) -> Optional[str]:
    """The first release without a format and type (bower: 3.71.0), if one dropped it."""
    end = history().get(f"{fmt}/{repo_type}", (None, None))[1]
    return shown(end) if end else None


def _written_problems(at: str, repo: Mapping[str, Any], api: ReleaseApi, where: str) -> list[Problem]:
    """The blocks as written: each must exist in this release, with fields it knows and values it takes."""
    fmt, repo_type = repo.get("format", DOCKER), repo["type"]
    offered = api.blocks(fmt, repo_type)
    problems = []
    for block in block_names(fmt, repo_type):
        value = repo.get(block)
        if not isinstance(value, Mapping):
            continue
        if block not in offered:
            having = [a for a in releases() if block in a.blocks(fmt, repo_type)]
            when = (f"the API of Nexus {having[-1].label} has them; upgrade Nexus or remove the block"
                    if having[-1].version > api.version else
                    f"Nexus {having[-1].label} was the last to take them; remove the block")
            problems.append(Problem(f"{at}.{block}", f"{where} has no {block} settings for {fmt} {repo_type} "
                                    f"repositories ({when})"))
            continue
        known = offered[block].get("properties") or {}
        for field in value:
            if field not in known:
                newer = next((a.label for a in releases() if field in (a.blocks(fmt, repo_type).get(block) or {})
                              .get("properties", {}) and a.version > api.version), "")
                problems.append(Problem(f"{at}.{block}.{field}", f"{where} has no {block}.{field}"
                                        + (f" (the API of Nexus {newer} has it)" if newer else "")
                                        + f"; fields of {block} in this release: {', '.join(sorted(known))}"))
        checked = {k: v for k, v in value.items() if k in known}
        for error in api.validator(fmt, repo_type, block).iter_errors(checked):
            if error.validator == "required":
                continue  # after the defaults, below
            field = ".".join(str(p) for p in error.absolute_path)
            secret = bool(error.absolute_path) and str(error.absolute_path[0]) in secret_fields(block)
            problems.append(Problem(f"{at}.{block}" + (f".{field}" if field else ""),
                                    _message(error, secret) + f" (the API of {where})"))
    return problems


def _message(error: Any, secret: bool) -> str:
    if secret:
        return f"is not valid ({error.validator})"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    return str(error.message)


def _required_problems(at: str, entry: Mapping[str, Any], api: ReleaseApi, where: str) -> list[Problem]:
    """What the release needs (the schema's defaults applied): required blocks and their fields."""
    fmt, repo_type = entry.get("format", DOCKER), entry["type"]
    problems = []
    for block in api.blocks(fmt, repo_type):
        fields = api.required_fields(fmt, repo_type, block)
        value = entry.get(block)
        if not isinstance(value, Mapping):
            if api.block_required(fmt, repo_type, block):
                # A signing block is its secrets: the problem is where `config set --secret` writes.
                path = f"{at}.{block}" + (f".{fields[0]}" if fields and fields[0] in secret_fields(block) else "")
                problems.append(Problem(path, f"{where} needs {block} settings for {fmt} {repo_type} "
                                        f"repositories" + (f" (with {', '.join(fields)})" if fields else "")
                                        + _how(at, block, fields)))
            continue
        for field in fields:
            if value.get(field) in (None, "", []):
                problems.append(Problem(f"{at}.{block}.{field}", f"{where} requires {block}.{field} for {fmt} "
                                        f"{repo_type} repositories" + _how(at, block, [field])))
    return problems


def _how(at: str, block: str, fields: Sequence[str]) -> str:
    secret = [f for f in fields if f in secret_fields(block)]
    if secret:
        return (f": pulumi config set --secret --path '{at}.{block}.{secret[0]}' <value>"
                + (" (e.g. \"$(gpg --export-secret-key --armor KEY)\")" if secret[0] == "keypair" else ""))
    return ""


def cleanup_format_problems(at: str, repo: Mapping[str, Any], policies: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """A declared cleanup policy of another format than the repository's."""
    declared = {str(p["name"]).lower(): p for p in policies}
    wanted = nexus_name(repo.get("format", DOCKER))
    problems = []
    for j, name in enumerate(repo.get("cleanupPolicies") or []):
        policy = declared.get(str(name).lower())
        fmt = (policy or {}).get("format", DOCKER)
        if policy is not None and fmt not in (wanted, "*"):
            problems.append(Problem(f"{at}.cleanupPolicies[{j}]", f"cleanup policy '{name}' is for {fmt} "
                                    f"repositories and this is a {wanted} one; Nexus applies a policy to its "
                                    f"own format only (declare one with format: {wanted}, or format: '*')"))
    return problems
