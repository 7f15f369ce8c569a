"""The package's layout by stage: every import goes from a later stage to an earlier one, and none runs in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"
# Stages in pipeline order; a module may import from its own stage or an earlier one, never a later one.
# The top-level shared modules (config, diagnostics, paths, records, libc) come before every stage.
ORDER = ["shared", "parse", "wiki", "emit", "build", "serve", "commands", "entry"]
SHARED = {"__init__", "config", "diagnostics", "paths", "records", "libc"}
ENTRY = {"cli", "__main__"}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    parts = module.split(".")[1:]
    if not parts:
        return "shared"
    if len(parts) == 1:
        name = parts[0]
        if name in SHARED:
            return "shared"
        if name in ENTRY:
            return "entry"
        return name  # a stage package itself
    return parts[0]


def imports_of(path: Path, package_dir: Path = PACKAGE, modules: set[str] | None = None) -> set[str]:
    """Every generator module a file imports (at any depth in the file: function-level imports count too)."""
    modules = MODULES if modules is None else modules
    module = module_name(path, package_dir)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "generator"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "generator":
                continue
            for alias in node.names:  # `from generator.parse import links` imports the module generator.parse.links
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in modules else target)
    return found - {module}


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {module_name(p) for p in FILES}
GRAPH = {module_name(p): imports_of(p) for p in FILES}


def test_every_module_is_in_a_known_stage():
    assert {stage(m) for m in MODULES} <= set(ORDER)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_from_a_later_stage(module):
    mine = ORDER.index(stage(module))
    later = sorted(t for t in GRAPH[module] if ORDER.index(stage(t)) > mine)
    assert later == [], f"{module} ({stage(module)}) imports later stages: {later}"


def test_no_import_circle():
    # Imports inside one package (`generator.emit` -> `generator.emit.pages` for Output) are edges too.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(GRAPH.get(node, ())):
            if target not in GRAPH:
                continue
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("stage_name", ["parse", "wiki", "emit", "build", "serve", "commands"])
def test_each_stage_says_what_it_takes_and_returns(stage_name):
    doc = ast.get_docstring(ast.parse((PACKAGE / stage_name / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "->" in doc and "\n" not in doc.strip()


def test_the_checker_sees_a_violation(tmp_path):
    """The rule itself can fail: in a package laid out the same way, a function-level upward import is found."""
    package = tmp_path / "generator"
    (package / "wiki").mkdir(parents=True)
    (package / "build").mkdir()
    probe = package / "wiki" / "probe.py"
    probe.write_text("def f():\n    from generator.build import parallel\n", encoding="utf-8")
    (package / "build" / "parallel.py").write_text("", encoding="utf-8")
    found = imports_of(probe, package, {"generator.wiki.probe", "generator.build.parallel"})
    assert found == {"generator.build.parallel"}
    assert ORDER.index(stage("generator.build.parallel")) > ORDER.index(stage(module_name(probe, package)))
