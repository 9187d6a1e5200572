"""Cold starts as Lambda runs them: init at full CPU, every invoke at the memory's CPU share.

Lambda gives a function CPU in proportion to its memory (1,769 MB = one vCPU: Lambda developer
guide, "Configure memory"); init is observed to run unthrottled and invokes at the share (Luc van
Donkersgoed, "When is the Lambda Init Phase Free, and when is it Billed?"). The model: a fresh
``python -I -S -B`` imports the handler at full CPU, then moves itself into a cgroup whose CPU
quota is ``memory / 1769`` of one CPU (cgroup v1 ``cpu.cfs_quota_us`` over a 100 ms period, or v2
``cpu.max``) and serves its first event, then :data:`WARM_INVOKES` more. Where the machine does
not allow cgroups, the run says so and the invokes run at full CPU.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ONE_VCPU_MB = 1769
PERIOD_US = 100_000
WARM_INVOKES = 10
CGROUP_V1 = Path("/sys/fs/cgroup/cpu")
CGROUP_V2 = Path("/sys/fs/cgroup")
RUNTIME_PRELOAD = ("importlib", "json", "logging", "os", "time", "traceback", "datetime", "enum", "concurrent.futures")
"""What Lambda's Python runtime has imported before it imports the handler: the modules
``awslambdaric`` imports at start-up (``bootstrap.py``: importlib, json, logging, os, sys, time,
traceback; ``lambda_runtime_log_utils.py``: datetime, enum; ``lambda_runtime_client.py``:
concurrent.futures), github.com/aws/aws-lambda-python-runtime-interface-client. They are part of
Lambda's init duration but the same for every handler, so the model imports them before it starts
the handler's init clock, and reports their cost separately."""

MODEL_PROBE = """
import sys, time
asset, module, attr, event_file, memory, tasks_file, out_file, warm, throttle_init, preload = sys.argv[1:11]
def enter_quota():
    with open(tasks_file, "w") as f:
        f.write(str(__import__("os").getpid()))
if tasks_file and throttle_init == "1":
    enter_quota()
sys.path.insert(0, asset)
with open(event_file) as f:
    event_text = f.read()
start = time.perf_counter()
for name in preload.split(","):
    __import__(name)
runtime = time.perf_counter() - start
import json, os
class Unbuffered:
    def __init__(self, stream):
        self.stream = stream
    def __getattr__(self, name):
        return getattr(self.stream, name)
    def write(self, text):
        self.stream.write(text)
        self.stream.flush()
sys.stdout = Unbuffered(sys.stdout)
class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = int(memory)
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "cold"
start = time.perf_counter()
import importlib
handler = getattr(importlib.import_module(module), attr)
init = time.perf_counter() - start
if tasks_file and throttle_init != "1":
    enter_quota()
times = []
for invoke in range(int(warm) + 1):
    time.sleep(0.002)  # the runtime blocks on /invocation/next between invokes, and before the first
    os.environ["_X_AMZN_TRACE_ID"] = f"Root=1-67a0b1c2-{invoke:024x};Parent=53995c3f42cd8ad8;Sampled=0"
    event = json.loads(event_text)
    start = time.perf_counter()
    response = handler(event, Context())
    times.append(time.perf_counter() - start)
    if len(times) == 1:
        first_response = response
with open(out_file, "w") as f:
    f.write(repr([runtime * 1000, init * 1000] + [t * 1000 for t in times]) + "\\n" + repr(first_response))
"""
"""Runs in the fresh interpreter. Between invokes it does what ``awslambdaric`` does around each
one (``bootstrap.py``, github.com/aws/aws-lambda-python-runtime-interface-client): ``run`` wraps
stdout so that every write is flushed (``Unbuffered``), sets ``_X_AMZN_TRACE_ID`` from the
invocation (``update_xray_env_variable``), and ``handle_event_request`` decodes the event's JSON
right before it calls the handler (``unmarshal_request``). Only the handler call is timed, but
the runtime's work between invokes runs on the same CPU: with the events built before init and
nothing in between, the warm invokes found more of their working set in the CPU's caches than in
Lambda (measured side by side on the HTTP API handler, 2026-12-04: warm 86 us instead of 105,
first invoke 182 us against 172, 21 processes each). ``json`` and ``os`` are imported after the
runtime's preload is timed (both are in it). Its ``Context`` stays
written out (not rendered by ``tests.support.contexts.context_source``, as
``run.COLD_PROBE``'s is): its memory is the variant's, read from ``argv`` inside the probe."""


def cpu_share(memory_mb: int) -> float:
    """Lambda's CPU for ``memory_mb``: a fraction of one vCPU (capped at one here)."""
    return min(1.0, memory_mb / ONE_VCPU_MB)


@dataclass(frozen=True)
class ModelVariant:
    """One handler at one memory size with one first event."""

    name: str
    asset: Path
    module: str
    attr: str
    event: dict[str, Any]
    memory_mb: int
    expect: str | None
    throttle_init: bool = False
    """Pessimistic variant: init runs at the share too (Lambda is observed not to do this)."""
    warm_invokes: int = WARM_INVOKES
    slow: bool = False
    """Seconds per process: measured in the first ``slow_runs`` rounds only."""


@dataclass(frozen=True)
class ModelResult:
    """Medians over fresh processes (ms)."""

    runtime: float
    """The runtime's own imports (:data:`RUNTIME_PRELOAD`), before the handler's init."""
    init: float
    first: float
    warm: float

    @property
    def first_callback(self) -> float:
        """What the user waits for on a cold start: init plus the first invoke."""
        return self.init + self.first


class Quotas:
    """One cgroup per memory size, each with the CPU quota of that size; ``tasks_file(mb)`` or ``""``."""

    def __init__(self, memory_sizes: set[int]) -> None:
        self.created: list[Path] = []
        self.files: dict[int, str] = {}
        self.note = ""
        try:
            for memory in sorted(memory_sizes):
                self.files[memory] = str(self._create(memory))
        except OSError as error:
            self.close()
            self.files = {}
            self.note = f"no CPU quota applied ({error.strerror or error}): invokes ran at full CPU"

    def _create(self, memory: int) -> Path:
        quota = max(1000, round(cpu_share(memory) * PERIOD_US))
        name = f"callback-router-bench-{os.getpid()}-{memory}"
        if (CGROUP_V1 / "cpu.cfs_quota_us").exists():
            group = CGROUP_V1 / name
            group.mkdir()
            self.created.append(group)
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
            return group / "tasks"
        if "cpu" in (CGROUP_V2 / "cgroup.controllers").read_text().split():
            group = CGROUP_V2 / name
            group.mkdir()
            self.created.append(group)
            (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            return group / "cgroup.procs"
        raise OSError("no cgroup cpu controller")

    def tasks_file(self, memory: int) -> str:
        """Where the probe writes its pid to enter the quota of ``memory`` (``""``: none)."""
        return self.files.get(memory, "")

    def close(self) -> None:
        """Remove the cgroups (their processes have exited)."""
        for group in reversed(self.created):
            with suppress(OSError):
                group.rmdir()
        self.created = []


@contextmanager
def quotas(memory_sizes: set[int]) -> Iterator[Quotas]:
    """The cgroups of :class:`Quotas`, removed afterwards."""
    made = Quotas(memory_sizes)
    try:
        yield made
    finally:
        made.close()


def model_once(variant: ModelVariant, tasks_file: str, scratch: Path) -> list[float]:
    """One fresh process: ``[runtime imports, init, first invoke, warm invokes...]`` in ms."""
    event_file, out_file = scratch / "model-event.txt", scratch / "model-out.txt"
    event_file.write_text(json.dumps(variant.event), encoding="utf-8")
    arguments = [variant.asset, variant.module, variant.attr, event_file, variant.memory_mb, tasks_file, out_file]
    completed = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-B",
            "-c",
            MODEL_PROBE,
            *map(str, arguments),
            str(variant.warm_invokes),
            "1" if variant.throttle_init else "0",
            ",".join(RUNTIME_PRELOAD),
        ],
        cwd=scratch,
        env={**os.environ, "_HANDLER": f"{variant.module}.{variant.attr}"},  # Lambda sets it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{variant.name} failed: {completed.stderr[-2000:]}")
    times, _, response = out_file.read_text(encoding="utf-8").partition("\n")
    if variant.expect and variant.expect not in response:
        raise RuntimeError(f"{variant.name}: unexpected first answer {response[:300]}")
    values: list[float] = eval(times, {"__builtins__": {}})  # noqa: S307 -- our own repr of a float list
    return values


def measure_model(
    variants: list[ModelVariant], runs: int, scratch: Path, slow_runs: int = 3
) -> tuple[dict[str, ModelResult], str]:
    """Medians per variant over ``runs`` interleaved fresh processes (``slow_runs`` for the
    throttled-init variants, which take seconds each), and the quota note (if any)."""
    samples: dict[str, list[list[float]]] = {variant.name: [] for variant in variants}
    with quotas({variant.memory_mb for variant in variants}) as groups:
        for round_ in range(runs):
            for variant in variants:
                if (variant.throttle_init or variant.slow) and round_ >= slow_runs:
                    continue
                samples[variant.name].append(model_once(variant, groups.tasks_file(variant.memory_mb), scratch))
        note = groups.note
    results = {
        name: ModelResult(
            runtime=statistics.median(run[0] for run in runs_),
            init=statistics.median(run[1] for run in runs_),
            first=statistics.median(run[2] for run in runs_),
            warm=statistics.median(statistics.median(run[3:]) for run in runs_),
        )
        for name, runs_ in samples.items()
    }
    return results, note
