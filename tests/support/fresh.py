"""A cold start in a test: a fresh interpreter with only the function package on its path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

LAMBDA_DIR = Path(__file__).resolve().parents[2] / "lambda"


def run_cold(code: str, config: Any, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code *args`` with the router's ``config`` (a document or its JSON text), as
    Lambda would start the function: nothing of the test process (``infra/``, the venv's path)
    is importable. A non-zero exit fails the test with the interpreter's stderr."""
    completed = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={
            "PYTHONPATH": str(LAMBDA_DIR),
            "CALLBACK_ROUTER_CONFIG": config if isinstance(config, str) else json.dumps(config),
            "PATH": "/usr/bin:/bin",
        },
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed
