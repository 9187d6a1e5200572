"""Test helpers live once, in ``tests/support``, and no private name crosses ``tools/``, ``tests/``, ``benchmarks/``.

Checked statically on every module of the three trees: a helper written a second time (a token
minter, a fake Lambda context) or a private name borrowed from another tree fails here, with the
file and line, instead of drifting quietly.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("tools", "tests", "benchmarks")
SUPPORT = ROOT / "tests" / "support"
OWN_MINTERS = {
    Path("tests/support/tokens.py"),
    Path("tests/e2e/company_app.py"),  # the company's own OAuth state, signed and checked with its key
    Path("tools/local_gateway/cli.py"),  # the demo's Link Tokens: a product tool, not a test helper
}
"""The only modules that may call ``jwt.encode``."""


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield path.relative_to(ROOT), ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_the_scan_sees_every_tree() -> None:
    seen = {path.parts[0] for path, _ in modules()}
    assert seen == set(TREES)


def test_no_private_name_is_imported_from_another_tree() -> None:
    found = [
        f"{path}:{node.lineno}: from {node.module} import {alias.name}"
        for path, module in modules()
        for node in ast.walk(module)
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
        if node.module.split(".")[0] in TREES and node.module.split(".")[0] != path.parts[0]
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert found == []


def test_jwts_are_minted_only_by_the_support_package() -> None:
    found = [
        f"{path}:{node.lineno}: jwt.encode"
        for path, module in modules()
        if path not in OWN_MINTERS
        for node in ast.walk(module)
        if isinstance(node, ast.Attribute) and node.attr == "encode"
        if isinstance(node.value, ast.Name) and node.value.id == "jwt"
    ]
    assert found == []


def test_fake_lambda_contexts_are_written_only_by_the_support_package() -> None:
    # A class that sets aws_request_id itself is another fake context; subclassing LambdaContext
    # to change one behaviour (time left) is fine.
    found = [
        f"{path}:{node.lineno}: class {node.name}"
        for path, module in modules()
        if not path.is_relative_to(SUPPORT.relative_to(ROOT)) and path.parts[0] != "tools"
        for node in ast.walk(module)
        if isinstance(node, ast.ClassDef)
        if any(
            isinstance(target, ast.Name) and target.id == "aws_request_id"
            for statement in node.body
            for target in (
                statement.targets if isinstance(statement, ast.Assign) else [getattr(statement, "target", None)]
            )
        )
    ]
    assert found == []
