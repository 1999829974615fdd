"""Writes the project's subset copy of an official Nexus OpenAPI spec.

The emulator and tests/test_openapi_bodies.py check request bodies against the official specs
of the releases the project supports, but the project must not depend on anything outside its
own tree at run or test time. This script extracts, from a full spec file, the paths the
project uses (the regular expressions in tests/emulator/openapi/paths.txt) with every schema
they reference, transitively, into tests/emulator/openapi/nexus-<version>.json.

    python scripts/openapi_subset.py path/to/nexus-3.94.0.yaml [more specs...]

Re-run it after adding a line to paths.txt.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterator

import yaml

OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "emulator" / "openapi"
PATHS_FILE = OUT_DIR / "paths.txt"
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


def release_of(spec: dict[str, Any]) -> str:
    """`3.94.0-12` in info.version -> `3.94.0`."""
    return str(spec["info"]["version"]).split("-")[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("specs", nargs="+", type=Path, help="full OpenAPI spec files (YAML or JSON)")
    args = parser.parse_args(argv)
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
