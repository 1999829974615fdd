"""The import layers of docs/DESIGN.md: client → provider base → kinds → program/config → nexusctl.

Every module of components/ and nexusctl/ (and the program's __main__.py) is parsed with `ast`,
imports inside functions and conditionals included (a function-level import is still a
dependency: it only hides a cycle until the function runs). The test fails on any cycle among
them and on any import of a higher layer. A module's implicit import of its parent packages is
not counted: Python runs a package's __init__ before its submodules whichever way round.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("components", "nexusctl")

FOUNDATIONS, PROVIDER_BASE, KINDS, PROGRAM, ENTRY = 1, 2, 3, 4, 5
LAYER_NAMES = {FOUNDATIONS: "foundations (client)", PROVIDER_BASE: "provider base", KINDS: "kinds",
               PROGRAM: "program/config", ENTRY: "entry points (nexusctl, __main__)"}
# Top-level modules of components/ by layer; packages below are placed by their folder.
LAYERS: dict[str, int] = {
    **dict.fromkeys(("client", "answers", "connection", "trace", "interrupted", "lifeline", "quartz",
                     "regex_syntax", "sdk_overhead", "stack_files"), FOUNDATIONS),
    **dict.fromkeys(("provider", "resource", "kind", "problems", "stack_config", "schema", "settings"), PROVIDER_BASE),
    **dict.fromkeys(("config", "config_schema", "presets", "retention", "preflight", "program", "legacy", "registry"),
                    PROGRAM),
}
FOLDERS: dict[str, int] = {"components.kinds": KINDS, "components.standup": KINDS, "nexusctl": ENTRY}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module of the project
    line: int
    in_function: bool


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the packages and __main__.py."""
    found: dict[str, Path] = {"__main__": ROOT / "__main__.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def layer_of(module: str) -> int:
    if module == "__main__":
        return ENTRY
    if module == "components":  # the package __init__: registers the legacy pickle stand-ins
        return PROGRAM
    for folder, layer in FOLDERS.items():
        if module == folder or module.startswith(folder + "."):
            return layer
    name = module.removeprefix("components.")
    if name not in LAYERS:
        raise LookupError(f"{module} has no layer: add it to LAYERS in tests/test_layers.py (docs/DESIGN.md, Layers)")
    return LAYERS[name]


def _project_module(name: Optional[str]) -> Optional[str]:
    """The longest project module `name` refers to (an attribute import names its module)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> Iterator[Import]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]
    inner = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from . import kinds` imports the submodule; `from .kind import Kind` the module.
            names = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in MODULES else prefix
                     for alias in node.names]
        for name in names:
            target = _project_module(name)
            if target and target != module:
                yield Import(module, target, node.lineno, id(node) in inner)


GRAPH: dict[str, list[Import]] = {module: list(imports_of(module)) for module in MODULES}


def test_the_modules_are_found_and_imports_inside_functions_count():
    """Guards the test itself: it sees every package and the imports that hide in functions."""
    assert {"components.client", "components.kinds", "components.kinds.repositories.providers",
            "nexusctl.drift", "__main__"} <= set(MODULES)
    legacy = {i.target for i in GRAPH["components.legacy"] if i.in_function}
    assert "components.kinds" in legacy  # legacy.py finds the provider classes only when unpickling
    assert any(i.target == "components.kinds.repositories" for i in GRAPH["components.kinds"])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_has_a_layer(module):
    layer_of(module)


def _upward(imports: list[Import]) -> list[str]:
    return [f"{i.source} (layer {layer_of(i.source)}, {LAYER_NAMES[layer_of(i.source)]}) imports {i.target} "
            f"(layer {layer_of(i.target)}, {LAYER_NAMES[layer_of(i.target)]}) at line {i.line}"
            f"{' inside a function' if i.in_function else ''}"
            for i in imports if layer_of(i.target) > layer_of(i.source)]


def test_no_module_imports_a_higher_layer():
    wrong = _upward([i for imports in GRAPH.values() for i in imports])
    assert not wrong, "imports against the layer order (docs/DESIGN.md, Layers):\n" + "\n".join(wrong)


def cycles(graph: dict[str, list[Import]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a cycle or more."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph.get(node, []):
            if edge.target not in index:
                visit(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in on_stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    found = cycles(GRAPH)
    described = ["; ".join(dict.fromkeys(f"{i.source} -> {i.target} (line {i.line}"
                                         f"{', in a function' if i.in_function else ''})"
                                         for m in component for i in GRAPH[m] if i.target in component))
                 for component in found]
    assert not found, "import cycles:\n" + "\n".join(described)


def _graph(edges: dict[str, list[str]], in_function: bool = False) -> dict[str, list[Import]]:
    return {source: [Import(source, t, 1, in_function) for t in targets] for source, targets in edges.items()}


@pytest.mark.parametrize("edges, expected", [
    ({"a": ["b"], "b": ["c"], "c": []}, []),
    ({"a": ["b"], "b": ["a"]}, [["a", "b"]]),
    ({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}, [["a", "b", "c"]]),
    ({"a": ["a"]}, []),  # a module naming itself is no cycle (never recorded by imports_of)
])
def test_cycles_are_found_round_any_circle(edges, expected):
    assert cycles(_graph(edges)) == expected


def test_an_upward_import_inside_a_function_is_reported():
    """The config → presets → config kind of cycle the restructure removed, hidden in a function."""
    wrong = _upward([Import("components.kinds.tasks", "components.config", 7, True)])
    assert wrong == ["components.kinds.tasks (layer 3, kinds) imports components.config (layer 4, program/config) "
                     "at line 7 inside a function"]
