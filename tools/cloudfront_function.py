"""Run generated CloudFront Function code in Node (``tools/cloudfront_function_runner.cjs``).

One ``node`` process serves many batches: the tests send thousands of requests in a few calls,
and ``make run`` / ``make bench`` can keep one process for a whole session. There is no official
local emulator of CloudFront Functions; the runner's ``vm`` context offers only what runtime 2.0
offers (Buffer, console, the language's own globals), see the runner's header.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any

RUNNER = Path(__file__).with_name("cloudfront_function_runner.cjs")


class NodeFunctionRunner:
    """A ``node`` process evaluating requests against generated code; use it as a context manager."""

    def __init__(self, node: str | None = None) -> None:
        executable = node or shutil.which("node")
        if executable is None:
            raise FileNotFoundError("node is not on PATH: the CloudFront Function runs in Node locally")
        self._process = subprocess.Popen(
            [executable, str(RUNNER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def evaluate(self, code: str, requests: list[dict[str, Any]], *, repeat: int = 0) -> dict[str, Any]:
        """``{"results": [...], "nanoseconds": ...}`` for ``requests`` (the runner's protocol).

        ``repeat`` > 0 also times that many passes over the requests (mean nanoseconds per call).
        """
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None:
            raise RuntimeError("the node runner has no pipes")
        stdin.write(json.dumps({"code": code, "requests": requests, "repeat": repeat}) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"the node runner stopped (exit status {self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the node runner failed: {answer['error']}")
        return answer

    def close(self) -> None:
        """End the ``node`` process (it exits when its input closes)."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> NodeFunctionRunner:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
