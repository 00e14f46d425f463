"""The import graph of the `caseflow` package goes one way: no circle (imports inside functions
and under `TYPE_CHECKING` count: they hide a circle, they do not remove it), and the layers point
inward — the domain imports none of the other layers, services and projections no adapter."""

from __future__ import annotations

import ast
from pathlib import Path

import caseflow

ROOT = Path(caseflow.__file__).parent


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package under `root`."""
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that `name` imports, wherever the import statement stands.
    `from pkg import x` is an edge to `pkg.x` when that is a module, else to `pkg`."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    edges: set[str | None] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            edges.update(resolve(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                edges.add(resolve(f"{base}.{alias.name}") or resolve(base))
    edges.discard(None)
    edges.discard(name)
    return {e for e in edges if e is not None}


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_checker_finds_a_circle_hidden_in_a_function(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import thing\n")
    (pkg / "b.py").write_text("def thing():\n    from pkg import a\n    return a\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import d\n"
    )
    (pkg / "d.py").write_text("from .c import x\n")
    assert cycles(graph(pkg)) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]


def test_the_package_has_no_import_cycle():
    assert cycles(graph()) == []


LAYERS = {  # a layer → the layers it must not import
    "caseflow.domain": (
        "caseflow.services",
        "caseflow.projections",
        "caseflow.infra",
        "caseflow.demo",
    ),
    "caseflow.services": ("caseflow.infra", "caseflow.demo"),
    "caseflow.projections": ("caseflow.infra", "caseflow.demo"),
}


def _within(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def test_layers_import_inward_only():
    wrong = sorted(
        (module, target)
        for module, targets in graph().items()
        for layer, forbidden in LAYERS.items()
        if _within(module, layer)
        for target in targets
        if any(_within(target, f) for f in forbidden)
    )
    assert wrong == []


def test_only_entry_points_import_the_composition_root():
    """`bootstrap` is imported by the API, the CLI, the worker's background and the tests; no
    adapter it builds imports it back."""
    importers = sorted(m for m, targets in graph().items() if "caseflow.infra.bootstrap" in targets)
    adapters = (
        "caseflow.infra.views",
        "caseflow.infra.relay",
        "caseflow.infra.store",
        "caseflow.infra.eventlog",
        "caseflow.infra.kafka",
        "caseflow.infra.integrity",
    )
    assert not [m for m in importers if any(_within(m, a) for a in adapters)]


def private_reaches(root: Path) -> list[str]:
    """`x._name` where `x` is not `self`/`cls` (namedtuple's `_replace` & co. are public)."""
    public = {"_replace", "_asdict", "_fields", "_make"}
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in public
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_the_http_adapter_calls_public_names_only(tmp_path):
    (tmp_path / "route.py").write_text(
        "def f(app, self):\n    self._ok()\n    return app._peek(1)\n"
    )
    assert private_reaches(tmp_path) == ["route.py:3 app._peek"]
    assert private_reaches(ROOT / "infra" / "http") == []
