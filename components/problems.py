"""What the config checks share: a problem with its config path, the server's facts, and the
helpers every kind's checks use (duplicate names, names known to the config or the server,
cycles of nesting).

A problem names the config path (`repositories[2].blobStore`) and says how to fix it; all of a
stack's problems are reported together, and nothing is sent to Nexus while there is one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence

Values = Mapping[str, Any]  # the stack config by top-level key (presets expanded for the checks)


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    schema: bool = False  # a shape error: later checks would read the wrong shapes

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(Exception):
    """The stack config is invalid; nothing was sent to Nexus."""

    def __init__(self, problems: Sequence[Problem], stack: str = "") -> None:
        self.problems = list(problems)
        where = f" of stack '{stack}'" if stack else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"The config{where} is invalid ({len(self.problems)} problem"
                         f"{'s' if len(self.problems) != 1 else ''}); nothing was changed on "
                         f"Nexus:\n{lines}")


class ServerFacts:
    """What a reachable Nexus already has, for references to objects the config does not
    declare. Each fact is one list read (named by the kind that reads it, see Kind.facts);
    subclasses load them lazily, so validation asks only what it needs."""

    def __init__(self, version: tuple[int, int, int], pro: bool, **facts: Any) -> None:
        self.version = version
        self.pro = pro
        self._facts = dict(facts)

    def at_least(self, version: tuple[int, int, int]) -> bool:
        return self.version >= version

    def names(self, fact: str) -> frozenset[str]:
        """A fact that is a set of names (lower-cased, except case-sensitive ids such as realms)."""
        return self._fact(fact, frozenset())

    def mapping(self, fact: str) -> Mapping[Any, Any]:
        """A fact that maps a name to what the checks need of it."""
        return self._fact(fact, {})

    def _fact(self, name: str, empty: Any) -> Any:
        if name not in self._facts:
            self._facts[name] = self.load(name, empty)
        return self._facts[name]

    def load(self, name: str, empty: Any) -> Any:
        """Fetch one fact from the server (overridden by the preflight); `empty` when unknown."""
        return empty


def format_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def listing(names: Iterable[str]) -> str:
    listed = sorted(names)
    return ", ".join(listed) if listed else "none"


def duplicate_name_problems(key: str, items: Sequence[Mapping[str, Any]], field_name: str = "name") -> list[Problem]:
    """Nexus names are unique case-insensitively: 'Docker-Hub' and 'docker-hub' collide."""
    seen: dict[str, int] = {}
    problems = []
    for i, item in enumerate(items):
        name = str(item.get(field_name, ""))
        if name.lower() in seen:
            first = seen[name.lower()]
            problems.append(Problem(f"{key}[{i}].{field_name}", f"'{name}' duplicates {key}[{first}] "
                                    f"('{items[first][field_name]}'); names are unique regardless of case"))
        else:
            seen[name.lower()] = i
    return problems


class KnownNames:
    """Declared names first; the server's list (a fact) is read only for a name the config lacks."""

    def __init__(self, declared: Iterable[str], server: Optional[ServerFacts], fact: str) -> None:
        self.declared = {n.lower() for n in declared}
        self.server, self.fact = server, fact

    def __call__(self, name: str) -> bool:
        if name.lower() in self.declared:
            return True
        return self.server is not None and name.lower() in self.server.names(self.fact)

    @property
    def listing(self) -> str:
        names = set(self.declared)
        if self.server is not None:
            names |= set(self.server.names(self.fact))
        return listing(names)


def find_cycles(nodes: Sequence[tuple[int, str, Sequence[str]]]) -> list[tuple[int, int, list[str]]]:
    """(index, child index, cycle) for the edge closing each cycle a depth-first walk meets, in
    config order; one cycle per knot is enough to fix it. Self references are left out."""
    children = {name: (index, kids) for index, name, kids in nodes}
    state: dict[str, str] = {}  # name -> "open" while on the path, "done" after
    found: list[tuple[int, int, list[str]]] = []

    def walk(name: str, path: list[str]) -> None:
        state[name] = "open"
        index, kids = children[name]
        for j, kid in enumerate(kids):
            if kid == name or kid not in children:
                continue
            if state.get(kid) == "open":
                found.append((index, j, path[path.index(kid):] + [name, kid]))
            elif kid not in state:
                walk(kid, path + [name])
        state[name] = "done"

    for _, name, _ in nodes:
        if name not in state:
            walk(name, [])
    return found
