"""Importing rgbench, its CLI or any benchmark sub-package loads no training stack and no model."""

import ast
import subprocess
from pathlib import Path

from conftest import PYTHON, REPO

HEAVY = ("torch", "transformers", "rgbench.train", "matplotlib", "pandas")


def test_light_imports(subprocess_env):
    code = (
        "import sys, rgbench, rgbench.cli, rgbench.geneval, rgbench.dpg, rgbench.t2i, rgbench.analysis, "
        "rgbench.config, rgbench.runs, rgbench.scoring, rgbench.weights, rgbench.catalog\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run([PYTHON, "-c", code], cwd=REPO, env=subprocess_env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module → the package's modules it imports, at any level (imports inside functions count too)."""
    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def test_no_import_circles():
    """Every name lives in the lower of two modules: no module imports one that (eagerly or lazily) imports it."""
    graph = import_graph(REPO / "rgbench")

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            if m == goal:
                return True
            if m not in seen:
                seen.add(m)
                todo += graph[m]
        return False

    circles = sorted((a, b) for a in graph for b in graph[a] if reaches(b, a))
    assert not circles, circles
