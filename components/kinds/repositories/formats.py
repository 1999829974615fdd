"""Repository formats as the official REST specs of the releases this project knows describe them.

openapi/nexus-<release>.repositories.json (beside this module) are the create requests of every
`/v1/repositories/<format>/<type>` of a release with the schemas they use (written by
`scripts/openapi_subset.py --program` from the spec copies the emulator checks against). From
them come: which format and type a release offers, the format-specific blocks of each request
(`maven`, `apt`, `aptSigning`, `nugetProxy`, ...: everything beside the sections all formats
share), the config schema of those blocks (the union over the releases, for editors and
docs/reference) and each release's own schema of them (the release check, release_checks.py).
What the specs leave out (Nexus's UI defaults, the enums of fields published as @Pattern
strings, the `@NotEmpty` fields, the secrets) is in format_blocks.json beside this module.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Optional

from jsonschema import Draft202012Validator

API_DIR = Path(__file__).resolve().parent / "openapi"  # beside this module: package data
OVERLAY = json.loads((Path(__file__).resolve().parent / "format_blocks.json").read_text())
TYPES = ("hosted", "proxy", "group")
DOCKER = "docker"
# Request sections every format shares (providers.py writes them) and the 3.94 spec's stray
# read-only fields in terraform's hosted request.
COMMON_SECTIONS = frozenset({"name", "online", "storage", "cleanup", "component", "proxy", "negativeCache",
                             "httpClient", "routingRule", "routingRuleName", "group", "format", "type", "url"})
# The format GET and the lists answer, where it is not the URL segment (nexus-public FormatAndType).
NEXUS_NAMES = {"maven": "maven2"}
# How a format is spelled in resource type names (nexus:<Spelling><Type>Repository).
SPELLINGS = {"ansiblegalaxy": "AnsibleGalaxy", "cocoapods": "CocoaPods", "gitlfs": "GitLfs",
             "huggingface": "HuggingFace", "pypi": "PyPi", "rubygems": "RubyGems"}
FIELD_KEYWORDS = ("type", "enum", "description", "minimum", "maximum", "minLength", "maxLength",
                  "minItems", "maxItems", "items", "pattern")
Version = tuple[int, int, int]


def parse_version(text: str) -> Version:
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    return (parts + [0, 0, 0])[0], (parts + [0, 0, 0])[1], (parts + [0, 0, 0])[2]


def shown(version: Version) -> str:
    return ".".join(map(str, version))


@dataclass(frozen=True)
class ReleaseApi:
    """The repository requests of one release's official spec."""

    version: Version
    requests: Mapping[str, str]  # "maven/hosted" -> request schema name
    schemas: Mapping[str, Any]

    @property
    def label(self) -> str:
        return shown(self.version)

    def offers(self, fmt: str, repo_type: str) -> bool:
        return f"{fmt}/{repo_type}" in self.requests

    def formats(self) -> list[str]:
        return sorted({key.split("/")[0] for key in self.requests})

    def types_of(self, fmt: str) -> list[str]:
        return [t for t in TYPES if self.offers(fmt, t)]

    def request(self, fmt: str, repo_type: str) -> Mapping[str, Any]:
        return self.schemas[self.requests[f"{fmt}/{repo_type}"]]

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = node.get("$ref")
        return self.schemas[str(ref).rsplit("/", 1)[-1]] if ref else node

    def blocks(self, fmt: str, repo_type: str) -> dict[str, Mapping[str, Any]]:
        """The format-specific blocks of a request: name -> its (resolved) schema."""
        if not self.offers(fmt, repo_type):
            return {}
        return {name: self.resolve(node) for name, node in self.request(fmt, repo_type)["properties"].items()
                if name not in COMMON_SECTIONS}

    def block_required(self, fmt: str, repo_type: str, block: str) -> bool:
        return block in (self.request(fmt, repo_type).get("required") or [])

    def required_fields(self, fmt: str, repo_type: str, block: str) -> list[str]:
        """Fields the release needs in a block: the spec's `required` and Nexus's @NotEmpty."""
        schema = self.blocks(fmt, repo_type).get(block) or {}
        extra = [path.split(".", 1)[1] for path in OVERLAY["required"] if path.split(".")[0] == block]
        return sorted({*(schema.get("required") or []), *(f for f in extra if f in schema.get("properties", {}))})

    @lru_cache(maxsize=None)
    def validator(self, fmt: str, repo_type: str, block: str) -> Draft202012Validator:
        """The release's schema of one block as JSON Schema (its references as local $defs)."""
        text = json.dumps(self.blocks(fmt, repo_type)[block]).replace("#/components/schemas/", "#/$defs/")
        schema = {**json.loads(text), "$defs": json.loads(json.dumps(self.schemas).replace(
            "#/components/schemas/", "#/$defs/"))}
        for name, field in schema.get("properties", {}).items():
            enum = OVERLAY["enums"].get(f"{block}.{name}")
            if enum:  # a @Pattern string the spec publishes loosely: the real values
                field.pop("pattern", None)
                field["enum"] = enum
        return Draft202012Validator(schema)

    def __hash__(self) -> int:
        return hash(self.version)


@lru_cache(maxsize=None)
def releases() -> tuple[ReleaseApi, ...]:
    """Every release whose spec the program carries, oldest first."""
    found = []
    for path in API_DIR.glob("nexus-*.repositories.json"):
        doc = json.loads(path.read_text())
        found.append(ReleaseApi(parse_version(path.name), doc["requests"], doc["schemas"]))
    return tuple(sorted(found, key=lambda api: api.version))


def api_for(version: Optional[Version]) -> ReleaseApi:
    """The API of a release: the newest known spec not newer than it (a release between two
    known specs is checked against the older one), the newest without a version."""
    known = releases()
    if version is None:
        return known[-1]
    older = [api for api in known if api.version <= tuple(version)]
    return older[-1] if older else known[0]


@lru_cache(maxsize=None)
def history() -> dict[str, tuple[Version, Optional[Version]]]:
    """"<format>/<type>" -> (first release with its endpoints, first without them or None), for the
    releases between the known specs too (openapi/offered.json)."""
    doc = json.loads((API_DIR / "offered.json").read_text())["offered"]
    return {key: (parse_version(when["since"]), parse_version(when["until"]) if when["until"] else None)
            for key, when in doc.items()}


def offered_in(fmt: str, repo_type: str, version: Optional[Version]) -> bool:
    """Whether a release has the endpoints of a format and type (the newest known without a version)."""
    if version is None:
        return releases()[-1].offers(fmt, repo_type)
    when = history().get(f"{fmt}/{repo_type}")
    return when is not None and when[0] <= tuple(version) and (when[1] is None or tuple(version) < when[1])


def first_release(fmt: str, repo_type: str) -> Optional[str]:
    when = history().get(f"{fmt}/{repo_type}")
    return shown(when[0]) if when else None


def api_with(fmt: str, repo_type: str, version: Optional[Version]) -> ReleaseApi:
    """The spec that describes a format and type for a release: the nearest older one that has
    it, else the nearest newer one (swift on 3.90, between the 3.86.2 and 3.94.0 specs)."""
    nearest = api_for(version)
    having = [api for api in releases() if api.offers(fmt, repo_type)]
    older = [api for api in having if api.version <= nearest.version]
    return older[-1] if older else (having[0] if having else nearest)


def formats() -> list[str]:
    """Every format of any known release, as the REST path names it (maven, not maven2)."""
    return sorted({fmt for api in releases() for fmt in api.formats()})


def types_of(fmt: str) -> list[str]:
    return [t for t in TYPES if any(api.offers(fmt, t) for api in releases())]


def nexus_name(fmt: str) -> str:
    return NEXUS_NAMES.get(fmt, fmt)


def config_format(nexus_format: str) -> str:
    """maven2 -> maven: the config names formats as the REST paths do."""
    return next((path for path, name in NEXUS_NAMES.items() if name == nexus_format), nexus_format)


def spelling(fmt: str) -> str:
    return SPELLINGS.get(fmt, fmt[:1].upper() + fmt[1:])


def block_names(fmt: str, repo_type: str) -> tuple[str, ...]:
    """The blocks of a format and type in any known release (docker's are its own flat fields)."""
    if fmt == DOCKER:
        return ()
    names: dict[str, None] = {}
    for api in releases():
        names.update(dict.fromkeys(api.blocks(fmt, repo_type)))
    return tuple(names)


def secret_fields(block: str) -> tuple[str, ...]:
    """The write-only secrets of a block: a signing key pair and its passphrase."""
    return tuple(OVERLAY["secrets"]) if block.endswith("Signing") else ()


# --- the config schema of the blocks ------------------------------------------------------------
def block_schema(fmt: str, repo_type: str, block: str) -> dict[str, Any]:
    """A block's config schema: the fields of every known release (the release check narrows it
    to the detected one), with the defaults and enums of format_blocks.json."""
    fields: dict[str, Any] = {}
    required: set[str] = set()
    needed = False
    for api in releases():
        schema = api.blocks(fmt, repo_type).get(block)
        if schema is None:
            continue
        needed = needed or api.block_required(fmt, repo_type, block)
        required.update(api.required_fields(fmt, repo_type, block))
        for name, field in (schema.get("properties") or {}).items():
            fields[name] = _field(block, name, api.resolve(field))
    out: dict[str, Any] = {"type": "object", "additionalProperties": False,
                           "properties": {name: fields[name] for name in sorted(fields)}}
    description = OVERLAY["descriptions"].get(block)
    if description:
        out = {"description": description, **out}
    if needed and all(f"{block}.{name}" in OVERLAY["defaults"] for name in required):
        out["default"] = {}  # a block Nexus needs, whose needed fields all have a default
    return out


def _field(block: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: spec[k] for k in FIELD_KEYWORDS if k in spec}
    if isinstance(out.get("items"), Mapping):
        out["items"] = {k: v for k, v in out["items"].items() if k in FIELD_KEYWORDS and k != "description"}
    enum = OVERLAY["enums"].get(f"{block}.{name}")
    if enum:
        out.pop("pattern", None)
        out["enum"] = enum
    if out.get("type") == "integer" and "maximum" not in out:
        # The specs give ports and int32s no bounds; Nexus stores nothing larger.
        out.update({"minimum": 1, "maximum": 65535} if name.endswith("Port") else {"maximum": 2147483647})
    if name in secret_fields(block):
        out.update(description=OVERLAY["descriptions"][name], writeOnly=True)
    default = OVERLAY["defaults"].get(f"{block}.{name}")
    if default is not None:
        out["default"] = default
    return out


def definition(fmt: str, repo_type: str) -> str:
    return f"{fmt}.{repo_type}"


def config_definitions() -> dict[str, Any]:
    """The `$defs` the repositories fragment refers to: `format` (every known format) and, per
    type, `<type>Formats` choosing the blocks of the entry's format (`docker.<type>` is written by
    hand in the fragment: docker keeps its flat fields)."""
    defs: dict[str, Any] = {"format": {
        "enum": formats(), "default": DOCKER,
        "description": "Repository format as the REST API paths name it (maven, npm, pypi, raw, ...). The "
                       "detected release must offer it with this type (see docs/reference/repositories.md)."}}
    for repo_type in TYPES:
        branches: list[dict[str, Any]] = [{"if": {"properties": {"format": {"const": DOCKER}}},
                                           "then": {"$ref": f"#/$defs/{definition(DOCKER, repo_type)}"}}]
        for fmt in formats():
            blocks = block_names(fmt, repo_type)
            if not blocks:
                continue
            defs[definition(fmt, repo_type)] = {
                "properties": {block: block_schema(fmt, repo_type, block) for block in blocks}}
            branches.append({"if": {"required": ["format"], "properties": {"format": {"const": fmt}}},
                             "then": {"$ref": f"#/$defs/{definition(fmt, repo_type)}"}})
        defs[f"{repo_type}Formats"] = {"allOf": branches}
    return defs
