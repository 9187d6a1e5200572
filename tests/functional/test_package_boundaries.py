"""The function package is the function: nothing under ``lambda/`` imports ``infra/``, the CDK, the tools or the tests.

``infra/`` bundles ``lambda/``, never the reverse: an import the other way makes the function's
behaviour depend on ``sys.path`` and starts jsii (seconds) wherever ``infra/`` is importable.
Checked twice: statically (every ``import``, ``from ... import`` and ``import_module("...")`` of
every module, lazy ones inside functions included) and by importing every module in a fresh
interpreter that could import ``infra/``.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAMBDA = ROOT / "lambda"
FORBIDDEN = frozenset(
    {path.parent.name for path in (ROOT / "infra").glob("*/__init__.py")}
    | {"aws_cdk", "constructs", "jsii", "cdk_nag", "tools", "tests", "benchmarks"}
)
"""Top-level names the function package must never import: every package under ``infra/``, the CDK
and what only a checkout has."""


def function_modules() -> list[Path]:
    return sorted(path for path in LAMBDA.rglob("*.py") if "__pycache__" not in path.parts)


def imported_names(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """``(line, top-level module)`` of every absolute import in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value.split(".")[0]


def test_the_forbidden_names_cover_the_infrastructure_package() -> None:
    assert "junction_callback_router" in FORBIDDEN  # the glob found infra/'s packages


def test_no_module_under_lambda_imports_infra_or_the_cdk() -> None:
    modules = function_modules()
    assert len(modules) > 10
    found = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for path in modules
        for line, name in imported_names(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if name in FORBIDDEN
    ]
    assert found == []


def test_no_command_line_module_under_lambda() -> None:
    # `python -m callback_router` would ship in every asset: the command lines are in tools/.
    assert not list(LAMBDA.rglob("__main__.py"))


def test_importing_every_module_loads_nothing_of_infra(tmp_path: Path) -> None:
    names = [
        ".".join(path.relative_to(LAMBDA).with_suffix("").parts).removesuffix(".__init__")
        for path in function_modules()
    ]
    probe = (
        "import importlib, json, sys\n"
        "for name in json.loads(sys.argv[1]): importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(sys.argv[2])))))\n"
    )
    env = {
        **{key: value for key, value in os.environ.items() if key != "CALLBACK_ROUTER_CONFIG"},
        "PYTHONPATH": os.pathsep.join(map(str, [LAMBDA, ROOT / "infra", ROOT])),  # infra/ *could* be imported
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(names), json.dumps(sorted(FORBIDDEN))],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []
