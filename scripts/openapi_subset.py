"""Writes the project's subset copy of an official Nexus OpenAPI spec.

The emulator and tests/test_openapi_bodies.py check request bodies against the official specs
of the releases the project supports, but the project must not depend on anything outside its
own tree at run or test time. This script extracts, from a full spec file, the paths the
project uses (the regular expressions in tests/emulator/openapi/paths.txt) with every schema
they reference, transitively, into tests/emulator/openapi/nexus-<version>.json.

    python scripts/openapi_subset.py path/to/nexus-3.94.0.yaml [more specs...]

Re-run it after adding a line to paths.txt.

The program needs the repository request schemas too (the release check of every format's
settings, components/kinds/repositories/formats.py) but must not read tests/: `--program` writes
components/kinds/repositories/openapi/nexus-<version>.repositories.json from the test copies, the create request of
every `/v1/repositories/<format>/<type>` with the schemas it refers to (tests/test_formats.py
fails when they are out of date), and components/kinds/repositories/openapi/offered.json: from which release (and
until which) each format and type has endpoints, between the three specs too, as the emulator's
table has it from the spec of every release 3.67-3.94 (tests/emulator/formats.py FORMATS).

    python scripts/openapi_subset.py --program
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterator

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "tests" / "emulator" / "openapi"
PATHS_FILE = OUT_DIR / "paths.txt"
PROGRAM_DIR = ROOT / "components" / "kinds" / "repositories" / "openapi"
REPOSITORY_REQUEST = re.compile(r"^/v1/repositories/([a-z0-9]+)/(hosted|proxy|group)$")
KEPT_OPERATION_KEYS = ("summary", "parameters", "requestBody", "responses")
SOURCE = "sonatype-nexus-community/nexus-repo-api-client-go api/openapi.yaml ({name}), Apache-2.0; subset"


def path_patterns(text: str) -> list[re.Pattern[str]]:
    """One anchored regular expression per non-empty, non-comment line."""
    return [re.compile(f"^(?:{line.strip()})$") for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def references(node: Any) -> Iterator[str]:
    """Names of the component schemas a node refers to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[-1]
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def subset(spec: dict[str, Any], patterns: list[re.Pattern[str]], source: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, operations in spec.get("paths", {}).items():
        if any(p.match(path) for p in patterns):
            paths[path] = {method: {k: op[k] for k in KEPT_OPERATION_KEYS if k in op}
                           for method, op in operations.items() if isinstance(op, dict)}
    all_schemas = spec.get("components", {}).get("schemas", {})
    wanted: dict[str, Any] = {}
    pending = sorted(set(references(paths)))
    while pending:
        name = pending.pop()
        if name in wanted or name not in all_schemas:
            continue
        wanted[name] = all_schemas[name]
        pending.extend(references(all_schemas[name]))
    return {"components": {"schemas": wanted}, "paths": paths, "source": source}


def program_subset(spec: dict[str, Any]) -> dict[str, Any]:
    """{"requests": {"<format>/<type>": schema name}, "schemas": {...}, "source"} of one test copy."""
    requests: dict[str, str] = {}
    for path, operations in sorted(spec["paths"].items()):
        found = REPOSITORY_REQUEST.match(path)
        body = (operations.get("post") or {}).get("requestBody")
        if found and body:
            schema = next(iter(body["content"].values()))["schema"]
            requests[f"{found.group(1)}/{found.group(2)}"] = str(schema["$ref"]).rsplit("/", 1)[-1]
    all_schemas = spec["components"]["schemas"]
    wanted: dict[str, Any] = {}
    pending = sorted(set(requests.values()))
    while pending:
        name = pending.pop()
        if name in wanted or name not in all_schemas:
            continue
        wanted[name] = {k: v for k, v in all_schemas[name].items() if k != "example"}
        pending.extend(references(all_schemas[name]))
    return {"source": spec["source"], "requests": requests, "schemas": wanted}


def offered_history() -> dict[str, dict[str, Any]]:
    """"<format>/<type>" -> {"since": release, "until": release or None} of every format and type."""
    sys.path.insert(0, str(ROOT))
    from tests.emulator.formats import FORMATS  # noqa: E402 (a generator of the project's own files)
    return {f"{fmt.path}/{repo_type}": {"since": since, "until": fmt.until}
            for fmt in sorted(FORMATS.values(), key=lambda f: f.path) for repo_type, since in sorted(fmt.since.items())}


def program_files() -> dict[str, str]:
    """components/kinds/repositories/openapi/<name> -> its text, from every test copy and the emulator's history."""
    out = {"offered.json": json.dumps({"source": "the published spec of every release 3.67-3.94 "
                                                 "(sonatype-nexus-community/nexus-repo-api-client-go api/openapi.yaml at "
                                                 "each tag), via tests/emulator/formats.py",
                                       "offered": offered_history()}, indent=1, sort_keys=True) + "\n"}
    for test_copy in sorted(OUT_DIR.glob("nexus-*.json")):
        kept = program_subset(json.loads(test_copy.read_text()))
        out[test_copy.name.replace(".json", ".repositories.json")] = json.dumps(kept, indent=1, sort_keys=True) + "\n"
    return out


def write_program_files() -> None:
    PROGRAM_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in program_files().items():
        (PROGRAM_DIR / name).write_text(text)
        print(f"components/kinds/repositories/openapi/{name}")


def release_of(spec: dict[str, Any]) -> str:
    """`3.94.0-12` in info.version -> `3.94.0`."""
    return str(spec["info"]["version"]).split("-")[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("specs", nargs="*", type=Path, help="full OpenAPI spec files (YAML or JSON)")
    parser.add_argument("--program", action="store_true",
                        help="write components/kinds/repositories/openapi/ (the program's copy) from the test copies")
    args = parser.parse_args(argv)
    if args.program:
        write_program_files()
        return 0
    if not args.specs:
        parser.error("give full spec files, or --program")
    patterns = path_patterns(PATHS_FILE.read_text())
    for spec_file in args.specs:
        spec = yaml.safe_load(spec_file.read_text())
        out = OUT_DIR / f"nexus-{release_of(spec)}.json"
        kept = subset(spec, patterns, SOURCE.format(name=spec_file.name))
        # YAML turns example timestamps into datetimes; JSON keeps them as the text they were.
        out.write_text(json.dumps(kept, indent=1, sort_keys=True, default=str) + "\n")
        print(f"{out.name}: {len(kept['paths'])} paths, {len(kept['components']['schemas'])} schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
