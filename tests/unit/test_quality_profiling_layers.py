"""dra.quality.profiling is split by strategy; its modules import each other one way only."""

import ast
from pathlib import Path

import dra.quality.profiling as profiling

PACKAGE = Path(profiling.__file__).parent
# each module may import only those before it; __init__ (the entry point) imports them all
LAYERS = ["columns", "scan", "report", "exact", "planner", "sampled"]


def _imported_siblings(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("dra.quality.profiling."):
                found.add(node.module.rsplit(".", 1)[1])
            elif node.module == "dra.quality.profiling":
                found |= {alias.name for alias in node.names} | {"__init__"}
            elif node.level:
                found.add(node.module or "__init__")
    return found


def test_the_package_holds_the_layers_and_nothing_else():
    assert sorted(p.stem for p in PACKAGE.glob("*.py")) == sorted([*LAYERS, "__init__"])


def test_each_module_imports_only_the_ones_below_it():
    for position, module in enumerate(LAYERS):
        assert _imported_siblings(module) <= set(LAYERS[:position]), module


def test_the_public_api_is_importable_from_the_package():
    for name in profiling.__all__:
        assert hasattr(profiling, name), name
    from dra.quality.profiling import ColumnInfo, TableNotFound, build_report, profile_table

    assert ColumnInfo.__module__ == "dra.quality.profiling.columns"
    assert TableNotFound.__module__ == "dra.quality.profiling.columns"
    assert build_report.__module__ == "dra.quality.profiling.report"
    assert profile_table.__module__ == "dra.quality.profiling"
