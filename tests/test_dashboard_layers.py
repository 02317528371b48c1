"""The dashboard's read model is the only way in: no page (lianxin/dashboard/pages/) and not
dashboard/app.py imports SQLAlchemy or the store; their SQL lives in lianxin/dashboard/queries/.

Every `import` and `from … import` is read from the source, function-level and TYPE_CHECKING ones
too (issue 14).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "lianxin" / "dashboard"
FORBIDDEN = ("sqlalchemy", "lianxin.store")


def readers() -> list[Path]:
    """The modules that must read through `lianxin.dashboard.queries`."""
    return sorted((DASHBOARD / "pages").glob("*.py")) + [DASHBOARD / "app.py"]


def direct_store_imports(source: str, name: str) -> list[str]:
    """The imports in `source` (of module `name`) that reach SQLAlchemy or the store."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            modules = [node.module or ""] if node.level == 0 else []
            if node.module == "lianxin":  # from lianxin import store
                modules += [f"lianxin.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found += [
            f"{name}:{node.lineno} imports {module}"
            for module in modules
            if any(module == f or module.startswith(f + ".") for f in FORBIDDEN)
        ]
    return found


def test_pages_and_the_app_read_only_through_the_queries() -> None:
    wrong = [
        line
        for path in readers()
        for line in direct_store_imports(path.read_text("utf-8"), str(path.relative_to(ROOT)))
    ]
    assert wrong == []


def test_the_read_model_is_there_and_may_use_sqlalchemy() -> None:
    queries = sorted((DASHBOARD / "queries").glob("*.py"))
    assert len(queries) > 1
    assert any(direct_store_imports(p.read_text("utf-8"), p.name) for p in queries)
    assert DASHBOARD / "pages" / "overview.py" in readers()


def test_the_checker_sees_each_way_of_importing_the_store() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import sqlalchemy\n"
        "from sqlalchemy.sql import select\n"
        "from lianxin.store import schema\n"
        "from lianxin import store\n"
        "if TYPE_CHECKING:\n"
        "    from sqlalchemy import Engine\n"
        "def f():\n"
        "    import lianxin.store.engine\n"
        "from lianxin.dashboard.queries import calls\n"
        "import sqlalchemy_utils\n"
        "from lianxin import storehouse\n"
    )
    assert [line.split(" imports ")[1] for line in direct_store_imports(source, "m")] == [
        "sqlalchemy",
        "sqlalchemy.sql",
        "lianxin.store",
        "lianxin.store",
        "sqlalchemy",
        "lianxin.store.engine",
    ]
