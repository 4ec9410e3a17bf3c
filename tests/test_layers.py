"""The layers of the code base and the arrows between them, checked on the import statements themselves.

Layer order, highest first (a module may import its own layer and any lower one, never a higher one):

    assembly   app.main (builds the Starlette app), app.middleware (the ASGI header contract),
               app.idempotency (ASGI, inside the contract), and the entry points app.asgi, app.cli, app.__main__
    edges      rest.*, graph.*: they call services only (see EDGE_MAY_IMPORT); neither imports the other
    services   app.services.*: business rules, grouped by domain
    crud       app.crud.*: SQL compiled from the registry, list queries, validation, shaping, CrudService
    entities   app.entities.*: the registry
    base       app (its version constants), app.ids, app.auth, app.db, app.settings, app.errors, app.bodies,
               app.reference, app.schema (migrations), app.embedded (the embedded PostgreSQL) and
               app.revocation: token revocation belongs beside the token cache it keeps honest; the
               services announce revocations through it, and app.main starts its listener.

Also: no import cycle anywhere in app/, rest/, graph/ (the graph holds every import, function-level ones
included); no import inside a function (only NOT_DODGES, optional heavy dependencies, may wait until
they are needed); and only the edges, app.main and app.middleware import starlette or strawberry, which the
core never loads at run time either.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
PACKAGES = ("app", "rest", "graph")
BANNED = ("starlette", "strawberry", "rest", "graph")
EDGE_FILES = {"main.py", "middleware.py"}

ASSEMBLY, EDGES, SERVICES, CRUD, ENTITIES, BASE = 5, 4, 3, 2, 1, 0
LAYER_NAMES = {
    ASSEMBLY: "assembly",
    EDGES: "edges",
    SERVICES: "services",
    CRUD: "crud",
    ENTITIES: "entities",
    BASE: "base",
}
ASSEMBLY_MODULES = {"app.main", "app.middleware", "app.idempotency", "app.asgi", "app.cli", "app.__main__"}
# What the edges may reach in app/: the services (and what app.services re-exports for them), and the
# vocabulary every layer shares. Never app.crud, app.db or app.entities.
EDGE_MAY_IMPORT = ("app.services", "app.errors", "app.ids", "app.settings", "app.auth", "app.bodies")
# Function-level imports that are not cycle dodges: optional heavy dependencies, loaded only when needed.
NOT_DODGES = {("app.embedded", "pgserver")}  # (module, top-level package imported)


def layer(module: str) -> int:
    if module in ASSEMBLY_MODULES:
        return ASSEMBLY
    top = module.split(".")[0]
    if top in ("rest", "graph"):
        return EDGES
    for prefix, level in (("app.services", SERVICES), ("app.crud", CRUD), ("app.entities", ENTITIES)):
        if module == prefix or module.startswith(prefix + "."):
            return level
    return BASE


@dataclass
class Imports:
    """Every import of every module under `root`: `edges` between our own modules (module -> {module: line}),
    `external` top-level names of the rest, and `nested` imports made inside a function."""

    modules: dict[str, Path] = field(default_factory=dict)
    edges: dict[str, dict[str, int]] = field(default_factory=dict)
    external: dict[str, dict[str, int]] = field(default_factory=dict)
    nested: list[tuple[str, str, int]] = field(default_factory=list)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> list[str]:
    """The modules an import statement loads: `from pkg import sub` names the submodule when there is one."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    found = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in known]
    return found if len(found) == len(node.names) else [*found, source]


def scan(root: Path, packages: tuple[str, ...] = PACKAGES) -> Imports:
    out = Imports()
    files = [p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))]
    out.modules = {module_name(root, p): p for p in files}
    known = set(out.modules)
    for module, path in out.modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        inside: set[int] = set()
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inside |= {id(n) for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))}
        ours = out.edges.setdefault(module, {})
        theirs = out.external.setdefault(module, {})
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(node, module, path.name == "__init__.py", known):
                top = target.split(".")[0]
                if top in packages:
                    ours.setdefault(target, node.lineno)
                else:
                    theirs.setdefault(top, node.lineno)
                if id(node) in inside:
                    out.nested.append((module, target, node.lineno))
    return out


def layer_violations(imports: Imports) -> list[str]:
    found = []
    for module, targets in imports.edges.items():
        for target, line in targets.items():
            if layer(target) > layer(module):
                found.append(
                    f"{module}:{line} ({LAYER_NAMES[layer(module)]}) imports {target} ({LAYER_NAMES[layer(target)]})"
                )
    return found


def edge_violations(imports: Imports) -> list[str]:
    found = []
    for module, targets in imports.edges.items():
        if layer(module) != EDGES:
            continue
        own = module.split(".")[0]
        for target, line in targets.items():
            top = target.split(".")[0]
            allowed = top == own or any(target == a or target.startswith(a + ".") for a in EDGE_MAY_IMPORT)
            if not allowed:
                found.append(f"{module}:{line} imports {target}")
    return found


def cycles(imports: Imports) -> list[list[str]]:
    """Every strongly connected group of two or more modules (or a module importing itself), as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan, iterative over each node's targets in sorted order
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(imports.edges.get(node, {})):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in imports.edges.get(node, {}):
                groups.append(sorted(group))

    for module in sorted(imports.edges):
        if module not in index:
            visit(module)
    return groups


def nested_violations(imports: Imports) -> list[str]:
    return [
        f"{module}:{line} imports {target} inside a function"
        for module, target, line in imports.nested
        if (module, target.split(".")[0]) not in NOT_DODGES
    ]


@pytest.fixture(scope="module")
def imports() -> Imports:
    return scan(ROOT)


def test_lower_layers_never_import_higher_ones(imports: Imports) -> None:
    assert layer_violations(imports) == []


def test_edges_call_services_only(imports: Imports) -> None:
    assert edge_violations(imports) == []


def test_no_import_cycle(imports: Imports) -> None:
    assert cycles(imports) == []


def test_no_import_inside_a_function(imports: Imports) -> None:
    assert nested_violations(imports) == []


def test_the_scan_sees_every_module_and_its_arrows(imports: Imports) -> None:
    assert {
        "app.auth",
        "app.db",
        "app.crud.service",
        "app.services",
        "app.services.crm.clients",
        "app.services.billing.base",
        "app.entities.crm",
        "rest.endpoints",
        "graph.context",
    } <= set(imports.modules)
    assert "app.services.billing.base" in imports.edges["app.services.billing.invoices"]
    assert "app.services.activities" in imports.edges["app.services.entity"]  # `from . import activities`
    assert "app.crud.service" in imports.edges["app.services.entity"]  # `from ..crud.service import`
    assert imports.external["app.db"].keys() >= {"asyncpg", "databases"}
    assert [(m, t) for m, t, _ in imports.nested] == [("app.embedded", "pgserver.postgres_server")]  # the one allowed
    assert {layer(m) for m in imports.modules} == set(LAYER_NAMES)


def test_the_checks_catch_violations(tmp_path: Path) -> None:
    """The checkers themselves, on a made-up tree: each kind of violation is reported."""
    files = {
        "app/__init__.py": "",
        "app/db.py": "from .crud import sql\n",  # base -> crud: upward
        "app/crud/__init__.py": "",
        "app/crud/sql.py": "from ..services import billing\n",  # and a cycle
        "app/services/__init__.py": "",
        "app/services/billing.py": "def f():\n    from .. import db\n",
        "rest/__init__.py": "",
        "rest/a.py": "from app.crud.sql import x\nfrom app import db\nimport graph.b\n",
        "graph/__init__.py": "",
        "graph/b.py": "from app.services import billing\nfrom . import c\n",
        "graph/c.py": "from .b import y\n",  # a cycle inside an edge
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = scan(tmp_path)
    assert sorted(layer_violations(found)) == [
        "app.crud.sql:1 (crud) imports app.services.billing (services)",
        "app.db:1 (base) imports app.crud.sql (crud)",
    ]
    assert sorted(edge_violations(found)) == [
        "rest.a:1 imports app.crud.sql",
        "rest.a:2 imports app.db",
        "rest.a:3 imports graph.b",
    ]
    assert sorted(cycles(found)) == [["app.crud.sql", "app.db", "app.services.billing"], ["graph.b", "graph.c"]]
    assert nested_violations(found) == ["app.services.billing:2 imports app.db inside a function"]


# ---- frameworks only at the edges ------------------------------------------------------------------
def core_files() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if p.relative_to(APP).as_posix() not in EDGE_FILES)


@pytest.mark.parametrize("rel", [p.relative_to(APP).as_posix() for p in core_files()])
def test_core_module_does_not_import_an_edge(rel: str, imports: Imports) -> None:
    """Only app/main.py and app/middleware.py of app/ may import starlette, strawberry, rest or graph."""
    module = module_name(ROOT, APP / rel)
    used = set(imports.external[module]) | {t.split(".")[0] for t in imports.edges[module]}
    assert sorted(used & set(BANNED)) == []


def test_importing_the_core_loads_no_edge() -> None:
    """At run time too: importing every core module (not the entry points) pulls in no edge package."""
    skip = {"asgi", "cli", "__main__"}
    modules = [module_name(ROOT, p) for p in core_files()]
    modules = [m for m in modules if m.split(".")[-1] not in skip]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({BANNED!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", out.stdout
