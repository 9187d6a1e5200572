"""Bytecode for the runtime being deployed, whatever Python synthesizes (issue 16, item 7).

The interpreter of the runtime's version is looked up (a variable naming it, then ``pythonX.Y`` on
``PATH``) and asked for its version before use. The stand-ins here are shell scripts that record
each call and then run a real interpreter, so what is checked is what the lookup and the bundler
really run; the magic number of the ``.pyc`` files written must be that interpreter's.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Annotations, Match

from callback_router_app.stages import parse_stage
from junction_callback_router import CallbackRouter, Fallback
from junction_callback_router.bundling import asset_hash, build_asset
from junction_callback_router.interpreters import (
    ENV_VAR,
    Interpreter,
    _probe,
    find_interpreter,
    version_env_var,
)
from junction_callback_router.runtimes import LAMBDA_PYTHON_RUNTIMES, NO_BYTECODE_WARNING

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
OTHER = "3.12" if HERE != "3.12" else "3.13"
"""A Lambda runtime that is not the synthesizing Python's."""
PROXY = Fallback.proxy("https://auth.company.com/oauth_callback/{provider}")


def real_interpreter(version: str) -> Interpreter | None:
    """A working interpreter of ``version`` on this machine, if there is one (pyenv's shims may refuse)."""
    candidates = [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    candidates += sorted(
        str(path) for path in (Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python{version}")
    )
    for candidate in candidates:
        if Path(candidate).is_file():
            found = _probe(candidate)
            if isinstance(found, Interpreter) and found.version == version:
                return found
    return None


def stand_in(directory: Path, name: str, real: str, log: Path) -> Path:
    """An executable ``directory/name`` that appends its arguments to ``log``, then runs ``real``."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / name
    script.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return script


@pytest.fixture
def no_interpreter_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No variable names an interpreter and ``PATH`` is an empty directory (start jsii's node first)."""
    App()  # the jsii kernel (node) starts with the real PATH
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    for version in LAMBDA_PYTHON_RUNTIMES:
        monkeypatch.delenv(version_env_var(version), raising=False)
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(empty))
    yield empty


def test_the_synthesizing_python_is_used_for_its_own_runtime_without_a_lookup(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    stand_in(tmp_path / "bin", f"python{HERE}", sys.executable, log)
    lookup = find_interpreter(HERE, {"PATH": str(tmp_path / "bin")})
    assert lookup.interpreter is not None and lookup.interpreter.executable == sys.executable
    assert not log.exists()


def test_an_interpreter_of_another_version_on_path_is_asked_and_refused(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    stand_in(tmp_path / "bin", f"python{OTHER}", sys.executable, log)  # says "python3.12", is this Python
    lookup = find_interpreter(OTHER, {"PATH": str(tmp_path / "bin")})
    assert lookup.interpreter is None
    assert lookup.skipped == (f"python{OTHER} on PATH ({tmp_path / 'bin' / f'python{OTHER}'}) is Python {HERE}, "
                              f"not Python {OTHER}",)  # fmt: skip
    assert log.read_text(encoding="utf-8").startswith("-I -c ")  # it was run, to ask its version


def test_a_variable_naming_a_broken_interpreter_is_said_so(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "python"
    lookup = find_interpreter(OTHER, {version_env_var(OTHER): str(missing), "PATH": ""})
    assert lookup.interpreter is None
    assert lookup.skipped == (f"${version_env_var(OTHER)} ({missing}) is not runnable (FileNotFoundError), "
                              f"not Python {OTHER}",)  # fmt: skip


@pytest.fixture(scope="module")
def other_interpreter() -> Interpreter:
    found = real_interpreter(OTHER)
    if found is None:
        pytest.skip(f"no working Python {OTHER} on this machine to compile with")
    return found


def test_the_version_variable_wins_over_path_and_the_generic_one(
    other_interpreter: Interpreter, tmp_path: Path
) -> None:
    log = tmp_path / "calls"
    specific = stand_in(tmp_path / "specific", "python", other_interpreter.executable, log)
    generic = stand_in(tmp_path / "generic", "python", other_interpreter.executable, tmp_path / "generic-calls")
    on_path = stand_in(tmp_path / "bin", f"python{OTHER}", other_interpreter.executable, tmp_path / "path-calls")
    env = {version_env_var(OTHER): str(specific), ENV_VAR: str(generic), "PATH": str(on_path.parent)}
    assert find_interpreter(OTHER, env).interpreter == Interpreter(str(specific), OTHER, other_interpreter.magic)
    assert not (tmp_path / "generic-calls").exists() and not (tmp_path / "path-calls").exists()
    del env[version_env_var(OTHER)]
    assert find_interpreter(OTHER, env).interpreter == Interpreter(str(generic), OTHER, other_interpreter.magic)


def tree_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_the_asset_bytecode_is_written_by_the_runtime_interpreter_deterministically(
    other_interpreter: Interpreter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "calls"
    stand_in(tmp_path / "bin", f"python{OTHER}", other_interpreter.executable, log)
    monkeypatch.delenv(version_env_var(OTHER), raising=False)
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{sys.exec_prefix}/bin")
    stage = parse_stage("other-runtime", {"shape": "edge_function", "environments": ["sandbox-us"]})
    first = build_asset("edge", stage, tmp_path / "first", python_version=OTHER)
    second = build_asset("edge", stage, tmp_path / "second", python_version=OTHER)
    assert any(line.endswith(str(tmp_path / "first")) for line in log.read_text(encoding="utf-8").splitlines())
    tag = f"cpython-{OTHER.replace('.', '')}"
    own = sorted((first / "callback_router").rglob(f"*.{tag}.pyc"))
    assert own, "the router's own modules have their bytecode"
    magics = {pyc.read_bytes()[:4].hex() for pyc in first.rglob("*.pyc")}
    assert magics == {other_interpreter.magic} != {importlib.util.MAGIC_NUMBER.hex()}
    assert not list(first.rglob(f"*.cpython-{HERE.replace('.', '')}.pyc"))
    assert tree_digest(first) == tree_digest(second)  # the same bytes from two builds
    # and the asset hash says which bytecode ships
    assert asset_hash("edge", stage.runtime_json(), OTHER) != asset_hash("edge", stage.runtime_json(), HERE)


def test_no_interpreter_warns_once_per_synth_with_the_fix(no_interpreter_env: Path) -> None:
    app = App()
    stacks = [Stack(app, name, env=Environment(account="123456789012", region="eu-west-1")) for name in ("A", "B")]
    for stack in stacks:
        for name in ("One", "Two"):
            CallbackRouter(stack, name, environments=["sandbox-us"], fallback=PROXY, python_runtime=OTHER)
    warnings = [
        message
        for stack in stacks
        for message in Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("no .pyc ships"))
    ]
    assert len(warnings) == 1, warnings
    text = str(warnings[0].entry.data)
    assert f"found no Python {OTHER}" in text
    assert f"put python{OTHER} on PATH, or set {version_env_var(OTHER)}=/path/to/python{OTHER}" in text
    assert NO_BYTECODE_WARNING in text


def test_a_router_on_the_synthesizing_python_does_not_warn(no_interpreter_env: Path) -> None:
    app = App()
    stack = Stack(app, "Here", env=Environment(account="123456789012", region="eu-west-1"))
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY, python_runtime=HERE)
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("no .pyc ships"))


def test_a_found_interpreter_means_no_warning(other_interpreter: Interpreter, no_interpreter_env: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv(version_env_var(OTHER), other_interpreter.executable)
    app = App()
    stack = Stack(app, "Found", env=Environment(account="123456789012", region="eu-west-1"))
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY, python_runtime=OTHER)
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("no .pyc ships"))
