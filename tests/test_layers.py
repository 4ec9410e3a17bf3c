"""Layering: the service core (app/*) knows nothing of the edges. Only app/main.py (which builds the Starlette
app) and app/middleware.py (the ASGI header contract) may import starlette, strawberry, rest or graph;
app/asgi.py only reaches them through app.main."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
BANNED = ("starlette", "strawberry", "rest", "graph")
EDGE_FILES = {"main.py", "middleware.py"}


def core_files() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if p.relative_to(APP).as_posix() not in EDGE_FILES)


def banned_imports(path: Path, depth: int | None = None) -> list[str]:
    """Top-level module names of every import (at any depth, in functions too) that leave the core.
    `depth` is how many packages below app/ the file sits (from its path when not given)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    if depth is None:
        depth = len(path.relative_to(APP).parts) - 1
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.ImportFrom) and node.level > depth + 1:
            names = [f"<relative import leaving app: {'.' * node.level}{node.module or ''}>"]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Name) and node.func.id == "__import__")
                   or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"))):
            names = [node.args[0].value]
        for name in names:
            if name.startswith("<") or name.split(".")[0] in BANNED:
                found.append(f"line {node.lineno}: {name}")
    return found


@pytest.mark.parametrize("rel", [p.relative_to(APP).as_posix() for p in core_files()])
def test_core_module_does_not_import_an_edge(rel: str) -> None:
    assert banned_imports(APP / rel) == []


def test_the_check_sees_every_core_module() -> None:
    names = {p.relative_to(APP).as_posix() for p in core_files()}
    assert {"auth.py", "db.py", "crud/service.py", "crud/query.py", "services/clients.py",
            "entities/crm.py"} <= names
    assert not names & EDGE_FILES


def test_the_checker_catches_violations(tmp_path: Path) -> None:
    """The checker itself: each way of importing an edge is reported."""
    sample = tmp_path / "probe.py"
    sample.write_text("import starlette\nfrom rest.params import merged\ndef f():\n    import graph\n"
                      "    from strawberry import type\n    __import__('rest.session')\n"
                      "import importlib\nimportlib.import_module('graph.app')\nfrom ..rest import x\n"
                      "from . import db\nimport json\n")
    found = banned_imports(sample, depth=0)
    assert sorted(f.split(": ", 1)[1] for f in found) == sorted([
        "starlette", "rest.params", "graph", "strawberry", "rest.session", "graph.app",
        "<relative import leaving app: ..rest>"])


def test_importing_the_core_loads_no_edge() -> None:
    """At run time too: importing every core module (not the entry points) pulls in no edge package."""
    skip = {"asgi", "cli", "__main__"}
    modules = ["app." + ".".join(p.relative_to(APP).with_suffix("").parts).removesuffix(".__init__")
               for p in core_files()]
    modules = [m.removesuffix(".__init__") for m in modules if m.split(".")[-1] not in skip]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules) +
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({BANNED!r})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", out.stdout
