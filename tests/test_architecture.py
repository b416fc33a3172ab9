"""The layering of docs/ARCHITECTURE.md, enforced over the import graph of ``src/iclab``.

Every ``import`` statement counts, also the ones inside functions (a lazy import is still a
dependency). Lower layers find the analyses shipped with iclab by module *name* (the registries
in :mod:`iclab.runs.registry` and :mod:`iclab.report.sections.registry`), never by an import.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "iclab"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "paths", "io", "versions", "openmp"),
    ("models",),
    ("data",),
    ("prompts",),
    ("engine",),
    ("metrics",),
    ("report",),
    ("runs",),
    ("options",),
    ("analyses",),
    ("testing",),
    ("demo",),
    ("cli",),
)
"""Low to high: a module may import its own layer and the layers below, never one above."""

RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def imports() -> dict[str, set[str]]:
    """module -> the iclab modules (or names inside them) it imports, at any depth."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(SRC.rglob("*.py")):
        name = module_name(path)
        graph[name]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "iclab" or node.module.startswith("iclab."):
                    graph[name].add(node.module)
                    graph[name].update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name.startswith("iclab."))
    return graph


def package(name: str) -> str:
    """``iclab.engine.masking`` -> ``engine``; ``iclab`` -> ``""``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def real_module(target: str) -> str | None:
    """The deepest module of iclab that ``target`` (a module or a name in one) names."""
    graph = imports()
    while target and target not in graph:
        target = target.rpartition(".")[0]
    return target or None


def test_every_package_has_a_layer() -> None:
    packages = {package(m) for m in imports()} - {""}
    assert packages <= set(RANK), f"put these in LAYERS: {sorted(packages - set(RANK))}"


def test_no_import_runs_up_the_layers() -> None:
    bad = []
    for mod, targets in imports().items():
        if not package(mod):
            continue
        for target in targets:
            pkg = package(target)
            if pkg and pkg in RANK and RANK[pkg] > RANK[package(mod)]:
                bad.append(f"{mod} -> {target}")
    assert not bad, "imports from a lower layer to a higher one:\n" + "\n".join(sorted(bad))


def test_nothing_in_the_library_imports_the_test_references() -> None:
    bad = [f"{m} -> {t}" for m, ts in imports().items() for t in ts
           if package(t) == "testing" and package(m) != "testing"]
    assert not bad, bad


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def units(name: str) -> str:
    """The unit cycles are checked between: an analysis package (``analyses.curves``) or a
    top-level package (``engine``)."""
    parts = name.split(".")
    if len(parts) > 2 and parts[1] == "analyses":
        return ".".join(parts[1:3])
    return package(name)


def test_no_import_cycles_between_packages() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for mod, targets in imports().items():
        for target in targets:
            real = real_module(target)
            if real and units(real) != units(mod) and units(real) and units(mod):
                edges[units(mod)].add(units(real))
    assert not _cycles(edges), _cycles(edges)


def test_no_import_cycles_between_modules() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for mod, targets in imports().items():
        for target in targets:
            real = real_module(target)
            if real and real != mod and not mod.startswith(real + ".") and real != "iclab":
                # a package's __init__ re-exporting its own modules is not a cycle
                edges[mod].add(real)
    cycles = [c for c in _cycles(edges)
              if not all(m == c[0] or m.startswith(c[0] + ".") for m in c)]
    assert not cycles, cycles


def test_analyses_use_the_engine_package_only() -> None:
    """Analyses import ``Engine`` and types from :mod:`iclab.engine`, never a submodule."""
    bad = [f"{m} -> {t}" for m, ts in imports().items() if package(m) == "analyses"
           for t in ts if (real_module(t) or "").startswith("iclab.engine.")]
    assert not bad, "\n".join(sorted(bad))


MODEL_CALLS = ("generate", "forward")


def _model_calls(path: Path) -> list[str]:
    """Calls of a model outside the engine: ``model(...)``, ``x.model(...)``,
    ``*.generate(...)`` and ``*.forward(...)`` on something named ``model``. A class's own
    ``model`` method (``self.model(name)`` in :class:`iclab.runs.Context`, which loads one)
    and the run context's (``ctx.model(name)``) are method calls, not model calls."""
    tree = ast.parse(path.read_text(), str(path))
    methods = {id(n) for c in ast.walk(tree) if isinstance(c, ast.ClassDef)
               if any(isinstance(d, ast.FunctionDef) and d.name == "model" for d in c.body)
               for n in ast.walk(c)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        called = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        receiver = ""
        if isinstance(f, ast.Attribute):
            v = f.value
            receiver = v.id if isinstance(v, ast.Name) else v.attr if isinstance(v, ast.Attribute) else ""
        if called == "model" and receiver in ("ctx", "context") or (
                called == "model" and receiver == "self" and id(node) in methods):
            continue
        if called == "model" or (called in MODEL_CALLS and "model" in receiver.lower()):
            found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_no_model_call_outside_the_engine() -> None:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        if package(module_name(path)) not in ("engine", "testing"):
            bad += _model_calls(path)
    assert not bad, "model calls outside iclab.engine:\n" + "\n".join(bad)


@pytest.mark.parametrize("source, expected", [
    ("y = model(x)", 1), ("y = self.model(x)", 1), ("model.generate(x)", 1),
    ("loaded.model.forward(x)", 1), ("engine.generate(prompts)", 0), ("models.check(x)", 0),
    ("ctx.model('gemma-3-270m')", 0),
    ("class C:\n    def model(self, name): ...\n    def f(self): return self.model('x')", 0),
    ("class C:\n    def f(self): return self.model(x)", 1),
])
def test_the_model_call_check_sees_calls(tmp_path: Path, source: str, expected: int,
                                         monkeypatch) -> None:
    """The checker is not vacuous: it flags what it claims to."""
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path)
    path = tmp_path / "m.py"
    path.write_text(source + "\n")
    assert len(_model_calls(path)) == expected


def _engine_internals(path: Path) -> list[str]:
    """``<engine>.adapter`` anywhere, or ``.model`` of something named like an engine."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Attribute):
            continue
        v = node.value
        receiver = v.id if isinstance(v, ast.Name) else v.attr if isinstance(v, ast.Attribute) else ""
        if node.attr == "adapter" or (node.attr == "model" and receiver.startswith("eng")):
            found.append(f"{path.relative_to(SRC)}:{node.lineno} {receiver}.{node.attr}")
    return found


def test_analyses_do_not_reach_into_the_engine() -> None:
    """Analyses call Engine methods; its model and output-head adapter are the engine's own."""
    bad = [hit for path in sorted((SRC / "analyses").rglob("*.py"))
           for hit in _engine_internals(path)]
    assert not bad, "\n".join(bad)
