"""Find a Python interpreter of the Lambda runtime's version, to compile the asset's bytecode with.

A ``.pyc`` loads only on the minor version that wrote it. When ``cdk synth`` runs on another Python
than the function's runtime (3.11 synthesizing the default 3.12), the bytecode is written by that
runtime's own interpreter instead, found in this order:

1. ``$JUNCTION_CALLBACK_ROUTER_PYTHON312`` (the runtime's version without its dot),
2. ``$JUNCTION_CALLBACK_ROUTER_PYTHON``,
3. ``python3.12`` on ``PATH``.

Each candidate is asked for its version before it is used, so a variable naming another version,
a broken path or a ``pyenv`` shim that refuses to run is skipped (and said so), never trusted.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

ENV_VAR = "JUNCTION_CALLBACK_ROUTER_PYTHON"
"""Names an interpreter for bytecode of its own version (any runtime)."""

PROBE_TIMEOUT_SECONDS = 20
_PROBE = (
    "import importlib.util, sys; print(sys.version_info[0], sys.version_info[1], importlib.util.MAGIC_NUMBER.hex())"
)


@dataclass(frozen=True)
class Interpreter:
    """A Python that writes bytecode for ``version``; ``magic`` is its ``.pyc`` magic number (hex)."""

    executable: str
    version: str
    magic: str

    @property
    def is_running(self) -> bool:
        """Whether this is the synthesizing interpreter itself (bytecode is written in-process)."""
        return self.executable == sys.executable


@dataclass(frozen=True)
class Lookup:
    """The outcome of :func:`find_interpreter`: the interpreter, or why each candidate was skipped."""

    interpreter: Interpreter | None
    skipped: tuple[str, ...] = ()


def version_env_var(version: str) -> str:
    """``JUNCTION_CALLBACK_ROUTER_PYTHON312`` for ``"3.12"``."""
    return f"{ENV_VAR}{version.replace('.', '')}"


def fix_hint(version: str) -> str:
    """The one-line fix when no interpreter is found."""
    return f"put python{version} on PATH, or set {version_env_var(version)}=/path/to/python{version}"


def running_interpreter() -> Interpreter:
    """The synthesizing Python, as an :class:`Interpreter`."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return Interpreter(sys.executable, version, importlib.util.MAGIC_NUMBER.hex())


def find_interpreter(version: str, environ: Mapping[str, str] | None = None) -> Lookup:
    """An interpreter of Python ``version`` (``"3.12"``): the running one when it is that version.

    ``environ`` defaults to ``os.environ``; the answer is cached per version and environment, so
    every construct of a synth asks each candidate for its version at most once.
    """
    running = running_interpreter()
    if running.version == version:
        return Lookup(running)
    env = os.environ if environ is None else environ
    return _find(version, env.get(version_env_var(version), ""), env.get(ENV_VAR, ""), env.get("PATH", ""))


@functools.cache
def _find(version: str, specific: str, generic: str, path: str) -> Lookup:
    candidates = [(f"${version_env_var(version)}", specific), (f"${ENV_VAR}", generic)]
    on_path = shutil.which(f"python{version}", path=path) if path else None
    if on_path:
        candidates.append((f"python{version} on PATH", on_path))
    skipped: list[str] = []
    for origin, executable in candidates:
        if not executable:
            continue
        found = _probe(executable)
        if isinstance(found, Interpreter) and found.version == version:
            return Lookup(found, tuple(skipped))
        # The generic variable may name an interpreter for another runtime: only a mismatch of
        # the version-specific one, or a broken one, is worth telling.
        if origin != f"${ENV_VAR}" or not isinstance(found, Interpreter):
            what = f"Python {found.version}" if isinstance(found, Interpreter) else found
            skipped.append(f"{origin} ({executable}) is {what}, not Python {version}")
    return Lookup(None, tuple(skipped))


def _probe(executable: str) -> Interpreter | str:
    """The interpreter at ``executable``, or why it cannot be used."""
    try:
        result = subprocess.run(  # noqa: S603 -- an interpreter the operator named, fixed arguments
            [executable, "-I", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"not runnable ({type(error).__name__})"
    parts = result.stdout.split()
    if result.returncode != 0 or len(parts) != 3 or not all(part.isalnum() for part in parts):
        return f"not a working Python (exit status {result.returncode})"
    return Interpreter(executable, f"{parts[0]}.{parts[1]}", parts[2])
