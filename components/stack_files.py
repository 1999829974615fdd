"""Object lists in YAML files beside the stack file, for stacks too big for the stack file.

The engine hands the program its whole stack config in one environment variable, which Linux
caps at 128 KiB (pulumi/pulumi#8680): a few thousand objects do not fit. So the lists of
objects may also live in side files in `stacks/<stack>/` (next to `stacks/Pulumi.<stack>.yaml`):

    stacks/prod/repositories.yaml            # a YAML list, exactly like nexus-registry:repositories
    stacks/prod/repositories.team-a.yaml     # more of the same list (files are read by name order)
    stacks/prod/security.users.yaml          # like nexus-registry:security.users
    stacks/prod/security.roles.yaml

Entries from side files come after the stack file's own entries of the same list and are
checked by the same schemas and cross references; every message about one names the file and
line (`stacks/prod/repositories.yaml:120 repositories[2012].blobStore: ...`). Side files are
plain text, so they hold no secrets: secrets stay Pulumi secrets in the stack file (users'
passwords already live in `security.passwords`; an object with a secret field, such as a proxy
with a password, stays in the stack file).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence

import yaml

# Config paths of the lists a side file may hold.
SIDE_LISTS: tuple[tuple[str, ...], ...] = (
    ("blobStores",), ("cleanupPolicies",), ("routingRules",), ("repositories",), ("tasks",),
    ("retention",), ("webhooks",), ("security", "contentSelectors"), ("security", "privileges"),
    ("security", "roles"), ("security", "users"), ("security", "ldap"))
SUFFIX = ".yaml"
# libyaml's parser when PyYAML has it (10x faster on thousands of entries); same marks.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SideFiles:
    """The config with the side files' entries added, where each entry came from, and what is
    wrong with the files themselves (unreadable YAML, not a list, an unknown name)."""

    values: dict[str, Any]
    origins: dict[str, str] = field(default_factory=dict)  # config path -> "file:line"
    problems: list[tuple[str, str]] = field(default_factory=list)  # (where, what)
    files: list[str] = field(default_factory=list)

    def where(self, path: str) -> Optional[str]:
        """"file:line" of the config path (or of the nearest entry containing it)."""
        return locate(path, self.origins)


def folder(stack: str, project_dir: Optional[Path] = None) -> Path:
    """stacks/<stack>/ beside the stack file (Pulumi.yaml's stackConfigDir)."""
    project_dir = project_dir or Path.cwd()
    config_dir = "."
    project_file = project_dir / "Pulumi.yaml"
    if project_file.exists():
        config_dir = (yaml.safe_load(project_file.read_text()) or {}).get("stackConfigDir") or "."
    return project_dir / config_dir / stack


def merge(values: Mapping[str, Any], side_folder: Path, shown_from: Optional[Path] = None) -> SideFiles:
    """The stack file's values with the side files in `side_folder` added."""
    merged = _copy(values)
    result = SideFiles(merged)
    if not side_folder.is_dir():
        return result
    base = shown_from or side_folder.parent.parent
    for file in sorted(side_folder.iterdir()):
        if file.suffix not in (SUFFIX, ".yml") or not file.is_file():
            continue
        shown = _shown(file, base)
        path = list_path(file.name)
        if path is None:
            known = ", ".join(".".join(p) + SUFFIX for p in SIDE_LISTS)
            result.problems.append((shown, f"unknown side file; its name says which list it holds: {known} "
                                           f"(or <list>.<anything>{SUFFIX})"))
            continue
        entries, lines, problem = _read(file)
        if problem:
            result.problems.append((f"{shown}:{problem[0]}" if problem[0] else shown, problem[1]))
            continue
        target = _list_at(merged, path)
        if target is None:
            result.problems.append((shown, f"{'.'.join(path)} in the stack file is not a list"))
            continue
        start = len(target)
        target.extend(entries)
        result.files.append(shown)
        dotted = ".".join(path)
        for relative, line in lines.items():
            index, rest = relative
            result.origins[f"{dotted}[{start + index}]{rest}"] = f"{shown}:{line}"
    return result


def list_path(file_name: str) -> Optional[tuple[str, ...]]:
    """`security.users.team-a.yaml` -> ("security", "users"); None for an unknown name."""
    stem = file_name.rsplit(".", 1)[0]
    for path in sorted(SIDE_LISTS, key=len, reverse=True):
        dotted = ".".join(path)
        if stem == dotted or stem.startswith(dotted + "."):
            return path
    return None


def locate(path: str, origins: Mapping[str, str]) -> Optional[str]:
    """The origin of `path` or of its nearest enclosing node that has one."""
    probe = path
    while probe:
        if probe in origins:
            return origins[probe]
        cut = max(probe.rfind("."), probe.rfind("["))
        if cut <= 0:
            return None
        probe = probe[:cut]
    return None


def _shown(file: Path, base: Path) -> str:
    try:
        return str(file.relative_to(base))
    except ValueError:
        return str(file)


def _copy(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def _list_at(values: dict[str, Any], path: Sequence[str]) -> Optional[list[Any]]:
    node: Any = values
    for part in path[:-1]:
        if node.get(part) is None:
            node[part] = {}
        node = node[part]
        if not isinstance(node, dict):
            return None
    if node.get(path[-1]) is None:
        node[path[-1]] = []
    found = node[path[-1]]
    return found if isinstance(found, list) else None


def _read(file: Path) -> tuple[list[Any], dict[tuple[int, str], int], Optional[tuple[str, str]]]:
    """(entries, {(index, sub path): line}, problem as (position, message))."""
    try:
        loader = FAST_LOADER(file.read_text())
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        position = f"{mark.line + 1}:{mark.column + 1}" if mark else ""
        return [], {}, (position, f"not valid YAML: {err.problem or err.context}")
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        return [], {}, ("", f"cannot be read: {err}")
    if data is None:
        return [], {}, None  # an empty file: nothing to add
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        return [], {}, ("1", f"must be a YAML list of entries (like the stack file's list), not a "
                             f"{type(data).__name__}")
    lines: dict[tuple[int, str], int] = {}
    for index, item in enumerate(node.value):
        for rest, line in _lines(item, ""):
            lines[(index, rest)] = line
    return data, lines, None


def _lines(node: yaml.Node, prefix: str) -> Iterator[tuple[str, int]]:
    """(sub path, 1-based line) of a node and of everything inside it."""
    yield prefix, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = f"{prefix}.{key.value}"
            yield name, key.start_mark.line + 1
            for sub, line in _lines(value, name):
                if sub != name:
                    yield sub, line
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            yield from _lines(value, f"{prefix}[{i}]")


# --- writing the layout (adopt, for a big Nexus) -------------------------------------------------
def split(values: Mapping[str, Any], min_entries: int = 50,
          stays: Callable[[tuple[str, ...], Mapping[str, Any]], bool] = lambda _path, _entry: False,
          ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """For `nexusctl adopt` of a big Nexus: moves the entries of every list of at least
    `min_entries` entries out of the stack config. Returns the values left for the stack file
    and {side file name: entries}. An entry for which `stays(list path, entry)` is true stays
    in the stack file (those a secret must be set on: side files are plain text)."""
    kept = _copy(values)
    files: dict[str, list[Any]] = {}
    for path in SIDE_LISTS:
        parent: Any = kept
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        entries = parent.get(path[-1]) if isinstance(parent, dict) else None
        if not isinstance(entries, list) or len(entries) < min_entries:
            continue
        staying = [entry for entry in entries if stays(path, entry)]
        moving = [entry for entry in entries if not stays(path, entry)]
        files[".".join(path) + SUFFIX] = moving
        if staying:
            parent[path[-1]] = staying
        else:
            parent.pop(path[-1])
    return kept, files


def write(side_folder: Path, files: Mapping[str, Iterable[Any]], header: str = "") -> list[Path]:
    """Writes side files (one YAML list each); returns their paths."""
    side_folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, entries in files.items():
        target = side_folder / name
        text = yaml.safe_dump(list(entries), sort_keys=False, default_flow_style=None, width=120)
        target.write_text((f"# {header}\n" if header else "") + text)
        written.append(target)
    return written
