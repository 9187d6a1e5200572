"""What `make test` and `make test-fast` do, read from make's own dry run of a fresh clone; `make explain`, run."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALLS = re.compile(r"pip install|npm ci|apt-get (update|install)")


def dry_run(target: str) -> list[str]:
    """The commands ``make TARGET`` would run when nothing is installed yet (``--always-make``)."""
    env = {key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", "--no-print-directory", target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def first(lines: list[str], pattern: re.Pattern[str]) -> int:
    return next(index for index, line in enumerate(lines) if pattern.search(line))


def test_make_test_says_what_it_will_do_before_it_installs_anything() -> None:
    lines = dry_run("test")
    notice = " ".join(line for line in lines[: first(lines, INSTALLS)] if line.startswith("echo "))
    for promise in ("several minutes", "chromium", "apt-get", "make test-fast"):
        assert promise in notice, notice
    # The chromium step names itself again right before apt-get runs (it is skipped when present).
    recipe = "\n".join(lines)
    assert recipe.index("installing Debian's chromium") < recipe.index("apt-get update")


def test_make_test_runs_every_test() -> None:
    lines = dry_run("test")
    assert lines[-4:] == [
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy",
        ".venv/bin/pytest",
    ]


def test_make_test_fast_runs_lint_types_unit_and_functional_tests_only() -> None:
    lines = dry_run("test-fast")
    assert not [line for line in lines if re.search(r"apt-get|chromium|cdk |synth", line)]
    assert lines[-4:] == [
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy",
        ".venv/bin/pytest -q tests/unit tests/functional",
    ]


def test_unit_and_functional_tests_need_neither_the_cdk_nor_a_browser() -> None:
    """What keeps `make test-fast` fast: those folders synthesize nothing and drive no browser."""
    slow = re.compile(r"^\s*(import|from) (aws_cdk|playwright|junction_callback_router)\b|pytest\.mark\.(e2e|cdk)\b")
    offenders = [
        path.relative_to(ROOT).as_posix()
        for folder in ("unit", "functional")
        for path in (ROOT / "tests" / folder).rglob("*.py")
        if any(slow.search(line) for line in path.read_text(encoding="utf-8").splitlines())
    ]
    assert offenders == []


def make_explain(state: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    env["STATE"] = state
    return subprocess.run(
        ["make", "--no-print-directory", "explain", "STAGE=sandbox"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_make_explain_of_a_company_callback_is_an_answer_not_a_failure() -> None:
    result = make_explain("/oauth_callback/fitbit?code=1&state=company-csrf-value")
    assert result.returncode == 0, result.stderr
    assert "redirected:   no: state is not a JWT" in result.stdout
    assert result.stdout.rstrip().endswith(
        "verdict: not redirected to Junction (stage sandbox); python -m tools.explain exits 1 for this, make explain 0"
    )
    assert "Error" not in result.stderr


def test_make_explain_still_fails_on_a_usage_error() -> None:
    result = make_explain(" ")
    assert result.returncode == 2
    assert "error: give a state value" in result.stderr
