"""The package structure: the registry is the composition root, tooling knows no product package,
and no module imports itself back through others."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from conftest import ROOT

PACKAGES = ("templates_src", "tooling")
PRODUCT_PACKAGES = ("templates_src.timestream_influxdb", "templates_src.launch_role")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules ``name`` imports, anywhere in it (also inside functions)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import mod` imports pkg.mod when that is a module, else pkg
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


@functools.cache
def graph() -> dict[str, set[str]]:
    """Project module -> project modules it imports; parsed once per test process (tests only read it)."""
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def test_the_import_walker_sees_relative_and_absolute_imports():
    g = graph()
    assert "templates_src.launch_role" in g["templates_src.registry"]
    assert "tooling.cfn.schemas" in g["tooling.docs.sections"]
    assert "templates_src.registry" in g["tooling.deploy.params"]


def test_no_tooling_module_imports_a_product_module():
    offenders = {
        name: sorted(t for t in targets if t.startswith(PRODUCT_PACKAGES))
        for name, targets in graph().items()
        if name.startswith("tooling")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_product_package_imports_the_registry_or_tooling_beyond_the_cfn_leaf():
    """A template package may read CloudFormation's schemas through ``tooling.cfn`` (the one reader)
    and nothing else of tooling; the registry wires everything else in."""
    g = graph()
    offenders = {
        name: sorted(
            t
            for t in targets
            if t == "templates_src.registry" or (t.startswith("tooling") and not t.startswith("tooling.cfn"))
        )
        for name, targets in g.items()
        if name.startswith(PRODUCT_PACKAGES)
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    # tooling.cfn is a leaf: it imports nothing of the project but itself.
    leaf = {t for name, targets in g.items() if name.startswith("tooling.cfn") for t in targets}
    assert all(t.startswith("tooling.cfn") for t in leaf), leaf


def test_there_is_no_import_cycle():
    g = graph()
    # A module importing a submodule of its own package (``from . import x`` in __init__) is how a
    # package is assembled, not a cycle; every other edge counts.
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in g.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(edges[m]):
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(t) :] + [t]))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)


def test_the_launch_role_imports_no_product_package():
    """A launch role gets its product's template and names from the registry entry; importing a
    product package would tie every product's role to that product."""
    g = graph()
    allowed = ("templates_src.launch_role", "templates_src.common", "tooling.cfn")
    offenders = {
        name: sorted(t for t in targets if not t.startswith(allowed))
        for name, targets in g.items()
        if name.startswith("templates_src.launch_role")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    # The walker sees what launch_role does import (the check above is not vacuous).
    assert "templates_src.common" in g["templates_src.launch_role"]
