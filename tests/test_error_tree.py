"""One exception tree, followed: every error Lianxin raises on purpose is a `LianxinError`
defined in lianxin/errors.py and drawn in its docstring, and the CLI catches none of them as a
bare ValueError or LookupError (issue 14)."""

from __future__ import annotations

import ast
import builtins
import inspect
from pathlib import Path

import pytest

from lianxin import errors
from lianxin.errors import LianxinError

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("lianxin", "config", "flows", "tasks")
BUILTIN_EXCEPTIONS = {
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}

# Exception classes outside errors.py, each with why it is not an error of the tree.
NOT_IN_THE_TREE = {
    "LoginRequired": "dashboard/auth.py: an outcome (send to the log-in page), not a failure",
    "_PageFailure": "parsing/page.py: control flow inside the parser, always caught there",
}


def _modules() -> list[Path]:
    return sorted(path for top in SCANNED for path in (ROOT / top).rglob("*.py"))


def _base_names(node: ast.ClassDef) -> set[str]:
    names = set()
    for base in node.bases:
        if isinstance(base, ast.Name):
            names.add(base.id)
        elif isinstance(base, ast.Attribute):
            names.add(base.attr)
    return names


def exception_classes() -> dict[str, Path]:
    """Return each class deriving (here, or through one defined here) from an exception."""
    classes = [
        (node, path)
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.ClassDef)
    ]
    known = set(BUILTIN_EXCEPTIONS) | {"LianxinError", "ValidationError", "SQLAlchemyError"}
    found: dict[str, Path] = {}
    grew = True
    while grew:
        grew = False
        for node, path in classes:
            if node.name not in found and _base_names(node) & (known | set(found)):
                found[node.name] = path
                grew = True
    return found


def test_every_exception_class_is_defined_in_errors_py_or_says_why_not() -> None:
    stray = {
        name: str(path.relative_to(ROOT))
        for name, path in exception_classes().items()
        if path != ROOT / "lianxin" / "errors.py" and name not in NOT_IN_THE_TREE
    }
    assert stray == {}, "define these in lianxin/errors.py (or list them with a reason)"


def test_the_scan_sees_the_classes_of_errors_py() -> None:
    found = exception_classes()
    assert found["UnknownWorker"] == ROOT / "lianxin" / "errors.py"
    assert found["LoginRequired"] == ROOT / "lianxin" / "dashboard" / "auth.py"


TREE = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, BaseException) and cls.__module__ == errors.__name__
]


@pytest.mark.parametrize("cls", TREE, ids=lambda cls: cls.__name__)
def test_each_error_is_a_lianxin_error_drawn_in_the_tree(cls: type[BaseException]) -> None:
    assert issubclass(cls, LianxinError)
    drawn = [line for line in (errors.__doc__ or "").splitlines() if cls.__name__ in line.split()]
    assert drawn, f"{cls.__name__} is not drawn in lianxin/errors.py's tree"


def test_the_tree_draws_each_error_under_its_parent() -> None:
    lines = (errors.__doc__ or "").splitlines()
    depth = {}
    for line in lines:
        words = line.replace("│", " ").replace("├──", "   ").replace("└──", "   ").split()
        if words and words[0] in {cls.__name__ for cls in TREE}:
            depth[words[0]] = len(line) - len(line.lstrip(" │├└─"))
    for cls in TREE:
        if cls is not LianxinError:
            parent = cls.__mro__[1].__name__
            assert depth[cls.__name__] > depth[parent], (cls.__name__, parent)


# Handlers of a ValueError another library raises, not one of ours, each with why.
THIRD_PARTY_VALUE_ERRORS = {
    "lianxin/cli/config_check.py": "a database driver refusing the URL's options: a finding",
}


def test_the_cli_catches_no_bare_value_or_lookup_error() -> None:
    caught = []
    for path in sorted((ROOT / "lianxin" / "cli").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
                names = {t.id for t in types if isinstance(t, ast.Name)}
                where = str(path.relative_to(ROOT))
                if names & {"ValueError", "LookupError"} and where not in THIRD_PARTY_VALUE_ERRORS:
                    caught.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert caught == []
