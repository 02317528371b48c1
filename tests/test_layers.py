"""The layers of docs/architecture.md hold: no module imports a layer above its own.

Every `import` and `from … import` in lianxin/, tasks/, flows/ and config/ is read from the source
(function-level imports too, since a lazy import is still a dependency), and each is checked
against the layer table below. A new folder must be given a layer here before its imports pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lianxin", "tasks", "flows", "config")

# Lower numbers sit lower. A module may import its own layer's group and any lower layer.
LAYERS: dict[str, int] = {
    "foundation": 0,  # the modules at lianxin/'s root, and the settings model in config/
    "lianxin.parsing": 1,
    "lianxin.portal": 1,
    "lianxin.store": 2,
    "lianxin.rules": 3,
    "lianxin.ingest": 4,
    "lianxin.notify": 4,
    "lianxin.services": 5,
    "lianxin.synth": 5,
    "lianxin.dashboard": 6,
    "tasks": 6,
    "flows": 7,
    "lianxin.cli": 8,
}
# `python -m lianxin` runs the command line: the one foundation file allowed to reach the top.
ENTRY_POINTS = {"lianxin.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def group_of(module: str) -> str:
    """The layer group a dotted module belongs to: `lianxin.store.db` -> `lianxin.store`."""
    parts = module.split(".")
    if parts[0] == "lianxin" and len(parts) > 1 and f"lianxin.{parts[1]}" in LAYERS:
        return f"lianxin.{parts[1]}"
    return "foundation" if parts[0] in ("lianxin", "config") else parts[0]


def imported_modules(path: Path) -> set[str]:
    """Dotted names of our own modules that `path` imports (relative imports resolved)."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            # `from lianxin import calls` imports the submodule lianxin.calls
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.split(".")[0] in PACKAGES and _is_module(m)}


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def upward(source: str, targets: set[str]) -> list[str]:
    """The imports of `source` that reach a layer above its own, one line per layer group."""
    mine = group_of(source)
    reached = {group_of(t): t for t in sorted(targets, reverse=True)}
    return [
        f"{source} imports {target} ({mine} {LAYERS[mine]} -> {theirs} {LAYERS[theirs]})"
        for theirs, target in sorted(reached.items())
        if theirs != mine and LAYERS[theirs] >= LAYERS[mine]
    ]


def upward_imports() -> list[str]:
    wrong: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = module_name(path)
            if "migrations" not in path.parts and source not in ENTRY_POINTS:
                wrong += upward(source, imported_modules(path))
    return wrong


def test_every_folder_has_a_layer() -> None:
    folders = {
        group_of(module_name(p))
        for package in PACKAGES
        for p in (ROOT / package).rglob("__init__.py")
    }
    assert folders <= LAYERS.keys(), sorted(folders - LAYERS.keys())


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports() == []


def test_the_checker_sees_an_upward_import_and_lets_a_downward_one_pass() -> None:
    targets = {"lianxin.services.calls", "flows.ingest", "lianxin.records"}
    found = upward("lianxin.store.db", targets)
    assert [line.split(" (")[0] for line in found] == [
        "lianxin.store.db imports flows.ingest",
        "lianxin.store.db imports lianxin.services.calls",
    ]
    assert upward("lianxin.cli.app", {"flows.ingest", "lianxin.services.calls"}) == []
    assert upward("tasks.parse", {"lianxin.dashboard.app"}) != []  # peers stay apart too
