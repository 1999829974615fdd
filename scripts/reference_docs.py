"""Writes docs/reference/: one page per top-level config key, generated from the config schema
(components/config_schema.py, the documents schemas/<key>.schema.json hold), so the reference
never says other than what validation checks. Every field with its type, default and
description; nested objects and the fields that apply only under a condition (a repository's
type, its format's blocks) in sections of their own; the repositories page also lists which
release offers which format and type (from the official specs the program carries).

    python scripts/reference_docs.py          # write docs/reference/
    python scripts/reference_docs.py --check  # exit 1 when a page is out of date (tests do this)
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator, Mapping

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components import config_schema  # noqa: E402
from components.kinds.repositories import formats  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent.parent / "docs" / "reference"
Schema = Mapping[str, Any]


def resolve(schema: Any, root: Schema) -> Schema:
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        target = root["$defs"][schema["$ref"].split("/")[-1]]
        return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema if isinstance(schema, Mapping) else {}


def properties(schema: Schema, root: Schema) -> dict[str, Schema]:
    """The fields a schema declares itself (through $ref and allOf, not under a condition)."""
    schema = resolve(schema, root)
    out: dict[str, Schema] = {}
    for sub in schema.get("allOf", []):
        out.update(properties(sub, root))
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, Mapping):  # `true` only lets a field through that is declared elsewhere
            out[name] = {**out.get(name, {}), **resolve(prop, root)}
    return out


def conditions(schema: Schema, root: Schema) -> Iterator[tuple[str, Schema]]:
    """(condition, schema) of the if/then parts of a schema, its $ref and allOf."""
    schema = resolve(schema, root)
    for sub in schema.get("allOf", []):
        yield from conditions(sub, root)
    if "if" in schema and "then" in schema:
        props = schema["if"].get("properties") or {}
        said = [f"`{k}` is {v['const']}" for k, v in props.items() if isinstance(v, Mapping) and "const" in v]
        said += [f"`{k}` is one of {', '.join(v['enum'])}" for k, v in props.items()
                 if isinstance(v, Mapping) and "enum" in v]
        yield " and ".join(said) or "it applies", schema["then"]


def type_of(prop: Schema, root: Schema) -> str:
    if "enum" in prop:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" if not isinstance(v, str) else f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    kind = prop.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if "array" in kinds:
        items = resolve(prop.get("items", {}), root)
        inner = "objects" if properties(items, root) else type_of(items, root) or "values"
        return f"list of {inner}"
    text = " or ".join(str(k) for k in kinds if k != "null") or ("object" if properties(prop, root) else "")
    bounds = [f"{k} {prop[k]}" for k in ("minimum", "maximum", "minLength", "maxLength") if k in prop]
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def default_of(prop: Schema) -> str:
    if "default" in prop:
        return f"`{json.dumps(prop['default'], ensure_ascii=False)}`"
    if "defaultTemplate" in prop:
        return f"`{prop['defaultTemplate']}`"
    return ""


def section(lines: list[str], title: str, schema: Schema, root: Schema, level: int, path: str,
            context: tuple[str, ...] = ()) -> None:
    """A table of a schema's fields, then its nested objects, then what applies under conditions."""
    fields = properties(schema, root)
    when = f" (when {' and '.join(context)})" if context else ""
    nested = []
    if fields:
        lines += [f"{'#' * level} {title}", "", "| field | type | default | description |", "|---|---|---|---|"]
        for name, prop in fields.items():
            note = " (secret: `pulumi config set --secret --path`)" if prop.get("writeOnly") else ""
            lines.append(f"| `{name}` | {cell(type_of(prop, root))} | {cell(default_of(prop))} | "
                         f"{cell(prop.get('description', ''))}{note} |")
            items = resolve(prop.get("items", {}), root) if "array" in str(prop.get("type")) else {}
            if properties(prop, root) or next(conditions(prop, root), None):
                nested.append((f"`{path}{name}`{when}", prop, f"{path}{name}."))
            elif properties(items, root):
                nested.append((f"`{path}{name}[]`{when}", items, f"{path}{name}[]."))
        lines.append("")
    for name, prop, sub_path in nested:
        section(lines, name, prop, root, min(level + 1, 6), sub_path, context)
    for condition, then in conditions(schema, root):
        inner = (*context, condition)
        section(lines, f"When {' and '.join(inner)}", then, root, min(level + 1, 6), path, inner)


def formats_table() -> list[str]:
    releases = formats.releases()
    lines = ["## Formats and types by release", "",
             "H/P/G: hosted, proxy, group, as the official REST spec of each release the program carries "
             "offers them; the last column has the history between those releases (from the spec of every "
             "release 3.67-3.94), which the release check follows.", "",
             "| format | " + " | ".join(api.label for api in releases) + " | offered from |",
             "|---|" + "---|" * (len(releases) + 1)]
    for fmt in formats.formats():
        cells = ["".join("HPG"[i] if api.offers(fmt, t) else "" for i, t in enumerate(formats.TYPES)) or "—"
                 for api in releases]
        name = fmt + (f" (Nexus: {formats.nexus_name(fmt)})" if formats.nexus_name(fmt) != fmt else "")
        history = formats.history()
        since = "; ".join(f"{t} {formats.shown(history[f'{fmt}/{t}'][0])}"
                          + (f" until {formats.shown(end)}" if (end := history[f'{fmt}/{t}'][1]) else "")
                          for t in formats.TYPES if f"{fmt}/{t}" in history)
        lines.append(f"| {name} | " + " | ".join(" ".join(c) for c in cells) + f" | {since.replace('3.0.0', 'always')} |")
    return lines + [""]


def render(key: str) -> str:
    doc = config_schema.document(key)
    entry = doc.get("items", doc) if doc.get("type") == "array" else doc
    lines = [f"# `{key}`", "",
             f"<!-- Generated from schemas/{key}.schema.json by scripts/reference_docs.py: edit the schema, "
             "then run the script. -->", "", cell(doc.get("description", "")), ""]
    if doc.get("type") == "array":
        lines += [f"A list; each entry of `{key}` takes the fields below.", ""]
    if key == "repositories":
        lines += formats_table()
    section(lines, "Fields", entry, doc, 2, "")
    return "\n".join(lines).rstrip() + "\n"


def index() -> str:
    lines = ["# Stack config reference", "",
             "<!-- Generated by scripts/reference_docs.py. -->", "",
             "One page per top-level key of a stack's config (`nexus-registry:<key>` in stacks/Pulumi.<stack>.yaml), "
             "generated from the JSON Schema the program validates with (schemas/).", ""]
    for key in config_schema.KEYS:
        description = cell(config_schema.document(key).get("description", "")).split(". ")[0]
        lines.append(f"- [`{key}`]({key}.md): {description.rstrip('.')}.")
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    return {"README.md": index(), **{f"{key}.md": render(key) for key in config_schema.KEYS}}


def main(argv: list[str]) -> int:
    wanted = pages()
    present = {p.name: p.read_text() for p in OUT_DIR.glob("*.md")} if OUT_DIR.exists() else {}
    stale = sorted(name for name in {*wanted, *present} if wanted.get(name) != present.get(name))
    if "--check" in argv:
        for name in stale:
            print(f"docs/reference/{name} is out of date: run python scripts/reference_docs.py", file=sys.stderr)
        return 1 if stale else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in stale:
        if name in wanted:
            (OUT_DIR / name).write_text(wanted[name])
        else:
            (OUT_DIR / name).unlink()
        print(f"wrote docs/reference/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
