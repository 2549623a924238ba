"""The shape of the package: no import cycles among mockbank's modules, and no module over 600 lines.

The import graph comes from grimp (the library import-linter is built on); every import counts, also
one inside a function or under ``TYPE_CHECKING``, because each of them ties the two modules together.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

PACKAGE = "mockbank"
MAX_LINES = 600

#: Modules being split by other developers right now; the mark goes once their work is merged.


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every group of modules that import each other, directly or through others (Tarjan's algorithm).

    A group is a strongly connected component of more than one module, or a module importing itself.
    """
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative depth-first search, so a long import chain cannot exhaust Python's recursion limit.
        work: list[tuple[str, Iterator[str]]] = []

        def enter(module: str) -> None:
            index[module] = lowlink[module] = len(index)
            stack.append(module)
            on_stack.add(module)
            work.append((module, iter(sorted(graph.find_modules_directly_imported_by(module)))))

        enter(start)
        while work:
            module, imported = work[-1]
            following = next(imported, None)
            if following is not None:
                if following not in index:
                    enter(following)
                elif following in on_stack:
                    lowlink[module] = min(lowlink[module], index[following])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[module])
            if lowlink[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1 or graph.direct_import_exists(importer=module, imported=module):
                    cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(cycles)


def describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    """The imports that tie one cycle together, one per line with its file line."""
    members = set(cycle)
    lines = [f"cycle among {', '.join(cycle)}:"]
    for importer in cycle:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"  {importer}:{detail['line_number']} {detail['line_contents']}")
    return "\n".join(lines)


def test_the_cycle_finder_finds_a_cycle_through_several_modules():
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.e", "p.e")]:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    assert import_cycles(graph) == [["p.a", "p.b", "p.c"], ["p.e"]]
    assert "  p.c:1 import p.a" in describe(graph, ["p.a", "p.b", "p.c"])


def test_no_import_cycles_among_mockbank_modules():
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    # The graph really is mockbank's: signing below verification and diagnosis, verification on top.
    assert graph.direct_import_exists(importer="mockbank.verification", imported="mockbank.diagnosis")
    assert graph.direct_import_exists(importer="mockbank.diagnosis", imported="mockbank.signing")
    cycles = import_cycles(graph)
    assert not cycles, "import cycles (break each by moving what both sides need below them):\n" + "\n".join(
        describe(graph, cycle) for cycle in cycles)


def _package_folders() -> list[tuple[str, Path]]:
    """mockbank's folder and the certification suite's (inside the package when installed, beside it in a checkout)."""
    folders = []
    for name in (PACKAGE, f"{PACKAGE}.contract_tests"):
        spec = importlib.util.find_spec(name)
        locations = (spec.submodule_search_locations or ()) if spec else ()  # None: a checkout not installed
        folders += [(name, Path(location).resolve()) for location in locations]
    return folders


def _modules() -> dict[str, Path]:
    """Every Python module of the package by dotted name."""
    modules = {}
    for name, folder in _package_folders():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            modules.setdefault(".".join((name, *parts)).removesuffix(".__init__"), path)
    return modules


MODULES = _modules()


@pytest.mark.parametrize("module", MODULES)
def test_no_module_is_over_600_lines(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines, more than {MAX_LINES}: split it by what each part does"


def test_the_size_check_sees_the_whole_package():
    assert {"mockbank.signing", "mockbank.verification", "mockbank.cli",
            "mockbank.contract_tests.runner"} <= MODULES.keys()
