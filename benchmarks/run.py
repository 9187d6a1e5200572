"""``make bench``: cold start, warm per-event cost, growth, bundle size and load, side by side.

Everything is measured in one run on this machine and compared with baselines measured in the
same run (medians over many fresh processes; ratios, not absolute targets). The table is printed
and written into ``BENCHMARKS.md`` between the ``<!-- bench:begin -->`` / ``<!-- bench:end -->``
markers, so the prose around it (the analysis) stays.

Cold init = a fresh ``python -I -S -B`` with only the built asset on ``sys.path`` imports the
handler and serves its first event (measured inside the process, from just before the import to
the handler's return; interpreter start-up is the same for every variant and left out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks import cloudfront_function, lambda_model
from benchmarks.baselines import EDGE_BOUND_HANDLER, NAIVE_HANDLER
from benchmarks.invoke_client import FUNCTION_ARN, client_variants, render_clients
from benchmarks.lambda_model import ModelResult, ModelVariant, cpu_share, measure_model
from benchmarks.network_clients import client_cost_key, network_client_variants
from benchmarks.scenarios import CONFIG, HANDLER_OF, QUERIES, event
from callback_router_app.stages import parse_stage
from junction_callback_router.bundling import build_asset, compile_bytecode, lambda_python_version
from junction_callback_router.defaults import DEFAULT_API_MEMORY_MB, EDGE_MEMORY_MB
from junction_callback_router.router import API_HANDLER
from tests.support.contexts import context_source
from tools.local_lambda import LocalLambda
from tools.tls import throwaway_certificate

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
EDGE_LIMIT_KB = 1024
EDGE_TARGET_KB = 350
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
API_MEMORY_MB = DEFAULT_API_MEMORY_MB
"""The memory the constructs give each function by default (the model's CPU share follows from it)."""
MEMORY_SWEEP = (128, 256, 512, 1024, 1769)
PRICE_PER_GB_SECOND = 0.0000166667
PRICE_PER_REQUEST = 0.20 / 1_000_000
"""Lambda x86, US East (N. Virginia), first pricing tier: https://aws.amazon.com/lambda/pricing/
(read 2026-11-30). Init is billed like the invoke for ZIP functions on managed runtimes since
2025-08-01 (AWS Compute Blog, "AWS Lambda standardizes billing for INIT Phase")."""
FIRST_EVENTS = ("junction", "not_junction", "garbage")
PROXY_PATH = "/company/{provider}"
MODEL_HANDLERS = ("edge viewer-request", "HTTP API", "REST API", "ALB")
PROXY_LABEL = "HTTP API, proxy fallback over HTTPS"
INVOKE_LABEL = "HTTP API, invoke fallback over HTTPS"
REDIRECT_LABEL = "HTTP API, redirect fallback"
API_ENTRY = API_HANDLER.rpartition(".")[2]
"""What the model calls on a regional asset: the entry point ``CallbackRouter`` deploys (its init
primes every regional handler, as in Lambda, where ``_HANDLER`` names it), which dispatches on the
event's shape."""
REDIRECT_URL = "https://auth.company.example/oauth_callback/{provider}"
COMPANY_PAGE = b"<p>company callback</p>"
NAIVE_LIBRARIES = ("jwt", "aws_lambda_powertools", "jmespath", "typing_extensions")
"""What the naive build imports, copied from this environment (pure Python; pinned in requirements-dev.txt)."""

COLD_PROBE = """
import sys, time
asset, module, attr, event_file, out_file = sys.argv[1:6]
sys.path.insert(0, asset)
with open(event_file) as f:
    event = eval(f.read(), {"__builtins__": {}})
{context}
start = time.perf_counter()
import importlib
handler = getattr(importlib.import_module(module), attr)
response = handler(event, Context())
elapsed = time.perf_counter() - start
with open(out_file, "w") as f:
    f.write(repr(elapsed * 1000) + "\\n" + repr(response))
""".replace("{context}", context_source())
"""Runs in the fresh interpreter. ``eval`` of a literal (no builtins) reads the event without
importing ``json``, so the handler pays for every module it needs."""


@dataclass(frozen=True)
class ColdVariant:
    """One thing to cold-start: an asset directory, a handler, and the first event."""

    name: str
    asset: Path
    module: str
    attr: str
    event: dict[str, Any]
    expect_status: str | None


def zipped_kb(directory: Path) -> float:
    """Size of ``directory`` zipped with deflate (what Lambda counts), in KB."""
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "asset.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    zipped.write(path, path.relative_to(directory).as_posix())
        return archive.stat().st_size / 1024


def build_all(workdir: Path) -> dict[str, Path]:
    """Build every asset variant the cold runs need."""
    api_stage = parse_stage("bench", {"shape": "http_api", **CONFIG})
    edge_stage = parse_stage("bench-edge", {"shape": "edge_function", "environments": CONFIG["environments"]})
    assets: dict[str, Path] = {}
    for kind, stage in (("edge", edge_stage), ("api", api_stage)):
        assets[f"{kind}+pyc"] = build_asset(kind, stage, workdir / f"{kind}-pyc", compile_pyc=True)  # type: ignore[arg-type]
        assets[kind] = build_asset(kind, stage, workdir / kind, compile_pyc=False)  # type: ignore[arg-type]
    redirect = {**CONFIG, "fallback": {"mode": "redirect", "url": REDIRECT_URL}}
    redirect_stage = parse_stage("bench-redirect", {"shape": "http_api", **redirect})
    assets["api-redirect+pyc"] = build_asset("api", redirect_stage, workdir / "api-redirect-pyc")
    naive = workdir / "naive"
    shutil.copytree(assets["api"], naive)
    shutil.rmtree(naive / "callback_router")
    for module in NAIVE_LIBRARIES:  # the router bundles neither Powertools nor PyJWT any more
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, module
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, naive / origin.parent.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, naive / origin.name)
    (naive / "naive_handler.py").write_text(NAIVE_HANDLER, encoding="utf-8")
    shutil.copytree(naive, workdir / "naive-pyc")
    compile_bytecode(workdir / "naive-pyc")
    assets["naive"], assets["naive+pyc"] = naive, workdir / "naive-pyc"
    bound = workdir / "edge-bound"
    shutil.copytree(assets["edge+pyc"], bound)
    (bound / "edge_bound.py").write_text(EDGE_BOUND_HANDLER, encoding="utf-8")
    assets["edge-bound"] = bound
    floor = workdir / "floor"
    floor.mkdir()
    (floor / "floor_handler.py").write_text("import base64, json\n\ndef handler(event, context):\n    return event\n")
    assets["floor"] = floor
    return assets


@contextmanager
def https_upstream(cert: Path, key: Path) -> Iterator[int]:
    """The company's callback for the proxy rows: HTTPS on 127.0.0.1 with a throw-away certificate.

    Yields the port. The probes trust ``cert`` through ``SSL_CERT_FILE`` (what
    ``ssl.create_default_context`` reads), so the proxy fallback runs its real, verifying TLS
    client and pays a full handshake per request, as it does against the company's host.
    """

    class Company(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = COMPANY_PAGE
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Company)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def company_function(event: Any, context: Any) -> dict[str, Any]:
    """The company's callback function behind the invoke rows: the page the proxy rows' upstream
    serves, at once (its own run time is near zero here; in AWS it is the company's code)."""
    return {"statusCode": 200, "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": COMPANY_PAGE.decode()}


@contextmanager
def company_environ(cert: Path, stand_in: LocalLambda) -> Iterator[None]:
    """What the probes inherit: trust in the throw-away certificate (``SSL_CERT_FILE`` for the
    router, ``AWS_CA_BUNDLE`` for botocore) and the Lambda stand-in's endpoint and credentials."""
    values = {"SSL_CERT_FILE": str(cert), "AWS_CA_BUNDLE": str(cert), **stand_in.environ()}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def cold_variants(assets: dict[str, Path]) -> list[ColdVariant]:
    """Edge, HTTP API and naive handlers, with and without .pyc, plus the floor."""
    edge_event, api_event = event("cloudfront", QUERIES["junction"]), event("http_api", QUERIES["junction"])
    naive_event = event("rest_api", QUERIES["junction"])
    variants = [
        ColdVariant("floor (import base64, json)", assets["floor"], "floor_handler", "handler", {}, None),
        # Since issue 11 PyJWT is imported at init whatever the first event: this row shows it costs the same.
        ColdVariant(
            "HTTP API handler, non-Junction first event (no .pyc)",
            assets["api"],
            "callback_router.handlers",
            "http_api_handler",
            event("http_api", QUERIES["not_junction"]),
            "'statusCode': 404",
        ),
    ]
    for suffix, label in (("", "no .pyc"), ("+pyc", ".pyc")):
        variants += [
            ColdVariant(
                f"edge viewer-request ({label})",
                assets[f"edge{suffix}"],
                "callback_router.handlers",
                "viewer_request_handler",
                edge_event,
                "'status': '307'",
            ),
            ColdVariant(
                f"HTTP API handler ({label})",
                assets[f"api{suffix}"],
                "callback_router.handlers",
                "http_api_handler",
                api_event,
                "'statusCode': 307",
            ),
            ColdVariant(
                f"naive build ({label})", assets[f"naive{suffix}"], "naive_handler", "handler", naive_event, "307"
            ),
        ]
    return variants


def model_variants(assets: dict[str, Path]) -> list[ModelVariant]:
    """Every handler at its memory with every kind of first event, the baselines, and the API
    memory sweep (init at full CPU, and the pessimistic one with init at the share too)."""
    handlers = (
        ("edge viewer-request", "edge+pyc", "cloudfront", EDGE_MEMORY_MB, ("'status': '307'", "'uri'")),
        ("HTTP API", "api+pyc", "http_api", API_MEMORY_MB, ("'statusCode': 307", "'statusCode': 404")),
        ("REST API", "api+pyc", "rest_api", API_MEMORY_MB, ("'statusCode': 307", "'statusCode': 404")),
        ("ALB", "api+pyc", "alb", API_MEMORY_MB, ("'statusCode': 307", "'statusCode': 404")),
    )
    variants: list[ModelVariant] = []
    for label, asset, source, memory, (redirect, other) in handlers:
        for first in FIRST_EVENTS:
            variants.append(
                ModelVariant(
                    model_key(label, first, memory),
                    assets[asset],
                    "callback_router.handlers",
                    HANDLER_OF[source] if source == "cloudfront" else API_ENTRY,
                    event(source, QUERIES[first]),
                    memory,
                    redirect if first == "junction" else other,
                )
            )
    naive_event = event("rest_api", QUERIES["junction"])
    for memory in sorted({EDGE_MEMORY_MB, API_MEMORY_MB}):
        variants.append(
            ModelVariant(
                f"naive build|junction|{memory}",
                assets["naive+pyc"],
                "naive_handler",
                "handler",
                naive_event,
                memory,
                "307",
            )
        )
    variants.append(
        ModelVariant(
            model_key("edge without logs or metrics", "junction", EDGE_MEMORY_MB),
            assets["edge-bound"],
            "edge_bound",
            "handler",
            event("cloudfront", QUERIES["junction"]),
            EDGE_MEMORY_MB,
            "'status': '307'",
        )
    )
    variants.append(
        ModelVariant(
            f"floor|junction|{EDGE_MEMORY_MB}", assets["floor"], "floor_handler", "handler", {}, EDGE_MEMORY_MB, None
        )
    )
    api_event = event("http_api", QUERIES["junction"])
    proxied_event = event("http_api", QUERIES["not_junction"])
    variants.append(
        ModelVariant(
            model_key(REDIRECT_LABEL, "not_junction", API_MEMORY_MB),
            assets["api-redirect+pyc"],
            "callback_router.handlers",
            API_ENTRY,
            proxied_event,
            API_MEMORY_MB,
            "'statusCode': 307",
        )
    )
    for memory in MEMORY_SWEEP:
        for label, asset in ((PROXY_LABEL, "api-proxy+pyc"), (INVOKE_LABEL, "api-invoke+pyc")):
            variants.append(
                ModelVariant(
                    model_key(label, "not_junction", memory),
                    assets[asset],
                    "callback_router.handlers",
                    API_ENTRY,
                    proxied_event,
                    memory,
                    "'statusCode': 200",
                    warm_invokes=3,
                )
            )
        if memory != API_MEMORY_MB:
            variants.append(
                ModelVariant(
                    f"HTTP API|junction|{memory}",
                    assets["api+pyc"],
                    "callback_router.handlers",
                    API_ENTRY,
                    api_event,
                    memory,
                    "'statusCode': 307",
                )
            )
        variants.append(
            ModelVariant(
                f"HTTP API, init at the share too|junction|{memory}",
                assets["api+pyc"],
                "callback_router.handlers",
                API_ENTRY,
                api_event,
                memory,
                "'statusCode': 307",
                throttle_init=True,
            )
        )
    return variants


def cold_once(variant: ColdVariant, scratch: Path, extra: tuple[str, ...] = ()) -> tuple[float, str]:
    """One fresh interpreter: milliseconds to import the handler and serve the first event."""
    event_file, out_file = scratch / "event.txt", scratch / "out.txt"
    event_file.write_text(repr(variant.event), encoding="utf-8")
    command = [sys.executable, "-I", "-S", "-B", *extra, "-c", COLD_PROBE]
    completed = subprocess.run(
        [*command, str(variant.asset), variant.module, variant.attr, str(event_file), str(out_file)],
        cwd=scratch,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{variant.name} failed: {completed.stderr[-2000:]}")
    elapsed, _, response = out_file.read_text(encoding="utf-8").partition("\n")
    if variant.expect_status and variant.expect_status not in response:
        raise RuntimeError(f"{variant.name} did not redirect: {response[:300]}")
    return float(elapsed), completed.stderr


def measure_cold(variants: list[ColdVariant], runs: int, scratch: Path) -> dict[str, float]:
    """Median cold init per variant; variants interleaved so machine noise hits all alike."""
    samples: dict[str, list[float]] = {variant.name: [] for variant in variants}
    for _ in range(runs):
        for variant in variants:
            samples[variant.name].append(cold_once(variant, scratch)[0])
    return {name: statistics.median(values) for name, values in samples.items()}


def import_profile(variant: ColdVariant, scratch: Path, top: int = 8) -> list[tuple[str, float]]:
    """Where a cold start's import time goes: self time per top-level package (``-X importtime``)."""
    _, stderr = cold_once(variant, scratch, ("-X", "importtime"))
    totals: dict[str, float] = {}
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            package = match.group(2).split(".")[0]
            totals[package] = totals.get(package, 0.0) + int(match.group(1)) / 1000
    return sorted(totals.items(), key=lambda item: -item[1])[:top]


PRELOADED_PROFILE = """
import sys
for name in sys.argv[2].split(","):
    __import__(name)
sys.stderr.write("--- handler init ---\\n")
sys.path.insert(0, sys.argv[1])
import callback_router.edge_handler
"""


def shipped_edge_profile(asset: Path, scratch: Path, runs: int = 5) -> list[tuple[str, float]]:
    """Where the shipped edge asset's init goes after the runtime's own imports: median self time
    per top-level package over ``runs`` processes (``-X importtime``), largest first."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        completed = subprocess.run(
            [
                sys.executable,
                "-I",
                "-S",
                "-B",
                "-X",
                "importtime",
                "-c",
                PRELOADED_PROFILE,
                str(asset),
                ",".join(lambda_model.RUNTIME_PRELOAD),
            ],
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        totals: dict[str, float] = {}
        for line in completed.stderr.partition("--- handler init ---")[2].splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
            if match:
                package = match.group(2).split(".")[0]
                totals[package] = totals.get(package, 0.0) + int(match.group(1)) / 1000
        for package, value in totals.items():
            samples.setdefault(package, []).append(value)
    medians = {package: statistics.median(values + [0.0] * (runs - len(values))) for package, values in samples.items()}
    return sorted(medians.items(), key=lambda item: -item[1])


def measure_warm(naive_dir: Path, scratch: Path) -> dict[str, Any]:
    """Per-event costs from ``benchmarks.warm`` in a child process (its stdout, the logs, discarded)."""
    out = scratch / "warm.json"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda"), str(ROOT / "infra"), str(ROOT)])}
    subprocess.run(
        [sys.executable, "-m", "benchmarks.warm", str(naive_dir), str(out)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        check=True,
        timeout=1800,
    )
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def measure_load(requests: int, concurrency: int) -> dict[str, Any]:
    """Throughput and latency of the local gateway under a bounded, fully checked load."""
    from tools.load import load_gateway
    from tools.local_gateway import start_gateway

    stage = parse_stage("bench-load", {"shape": "http_api", **CONFIG})
    rows: dict[str, Any] = {}
    gateway = start_gateway(stage, log_level="ERROR", emf=False)
    try:
        for front in ("http_api", "edge"):
            result = load_gateway(gateway, front=front, requests=requests, concurrency=concurrency, time_limit=60.0)
            rows[front] = {
                "requests": result.completed,
                "ok": result.ok,
                "errors": result.errors + result.wrong,
                "rps": result.throughput_rps,
                "p50": result.p50_ms,
                "p99": result.p99_ms,
            }
    finally:
        gateway.stop()
    return rows


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "n/a"


def render(results: dict[str, Any]) -> str:
    """The Markdown table block."""
    cold, warm, sizes = results["cold"], results["warm"], results["sizes"]
    lines = [
        BEGIN,
        f"Measured {results['date']} on {results['machine']}, Python {results['python']} "
        f"(Lambda runtime python{results['runtime']}), {results['runs']} fresh processes per cold figure. "
        "Reproduce: `make bench`.",
        "",
        "### Cold init: import the handler and serve the first event (median ms)",
        "",
        "| handler | no .pyc | vs naive | .pyc | vs naive | .pyc gain |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label in ("edge viewer-request", "HTTP API handler", "naive build"):
        no_pyc, pyc = cold[f"{label} (no .pyc)"], cold[f"{label} (.pyc)"]
        lines.append(
            f"| {label} | {no_pyc:.1f} | {ratio(no_pyc, cold['naive build (no .pyc)'])} | {pyc:.1f} | "
            f"{ratio(pyc, cold['naive build (.pyc)'])} | {ratio(no_pyc, pyc)} faster |"
        )
    lazy = cold["HTTP API handler, non-Junction first event (no .pyc)"]
    lines += [
        f"| HTTP API handler, non-Junction first event | {lazy:.1f} | "
        f"{ratio(lazy, cold['naive build (no .pyc)'])} | | | |",
        f"| floor (`import base64, json`) | {cold['floor (import base64, json)']:.1f} | | | | |",
        "",
        "Edge cold start without .pyc, self time by top-level package (`-X importtime`, one run, ms): "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in results["edge_profile"]),
        "",
        *render_model(results),
        "",
        "### Warm cost per event, logging and metrics included (median µs)",
        "",
        f"`jwt.decode(token, verify_signature=False)` alone: {warm['per_event']['jwt.decode alone']:.1f} µs. "
        "Powertools alone (`inject_lambda_context`, one log line, one EMF document, no routing): "
        f"{warm['per_event']['Powertools floor']:.1f} µs = "
        f"{ratio(warm['per_event']['Powertools floor'], warm['per_event']['junction']['naive build (REST)'])} "
        "of the naive build's Junction redirect; the edge's lean writer (same line and document): "
        f"{warm['per_event']['lean floor']:.1f} µs.",
        "",
        "| decision | guide approach (correct) | naive build (REST) | edge | HTTP API | REST API | ALB "
        "| edge vs naive |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for decision, row in warm["per_event"].items():
        if not isinstance(row, dict):
            continue
        naive = row["naive build (REST)"]
        lines.append(
            f"| {decision} | {row['guide approach (correct)']:.1f} | {naive:.1f} | {row['cloudfront']:.1f} | "
            f"{row['http_api']:.1f} | {row['rest_api']:.1f} | {row['alb']:.1f} | {ratio(row['cloudfront'], naive)} |"
        )
    edge_model = {
        first: results["model"][model_key("edge viewer-request", first, EDGE_MEMORY_MB)] for first in FIRST_EVENTS
    }
    lines += ["", *cloudfront_function.render(results["cloudfront_function"], warm, edge_model, EDGE_MEMORY_MB)]
    lines += ["", "### Growth (median µs per event)", "", "| state length (B) | edge | HTTP API |", "|---:|---:|---:|"]
    lines += [
        f"| {size} | {row['cloudfront']:.1f} | {row['http_api']:.1f} |" for size, row in warm["state_growth"].items()
    ]
    lines += ["", "| extra query bytes | edge | HTTP API |", "|---:|---:|---:|"]
    lines += [
        f"| {size} | {row['cloudfront']:.1f} | {row['http_api']:.1f} |" for size, row in warm["query_growth"].items()
    ]
    lines += ["", "### Bundle size (zipped, deflate)", "", "| asset | KB | vs 1 MB edge limit |", "|---|---:|---:|"]
    lines += [f"| {name} | {kb:.0f} | {kb / EDGE_LIMIT_KB:.0%} |" for name, kb in sizes.items()]
    if results.get("load"):
        lines += [
            "",
            "### Load on loopback (local gateway, real handlers, every answer checked)",
            "",
            "| front | requests | wrong or failed | req/s | p50 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for front, row in results["load"].items():
            lines.append(
                f"| {front} | {row['requests']} | {row['errors']} | {row['rps']:.0f} | {row['p50']:.2f} "
                f"| {row['p99']:.2f} |"
            )
    lines += ["", "### Targets", "", *(f"- {target}" for target in targets(results)), END]
    return "\n".join(lines) + "\n"


def targets(results: dict[str, Any]) -> list[str]:
    """Each issue-5 target with the figure that meets or misses it."""
    cold, warm, sizes = results["cold"], results["warm"]["per_event"], results["sizes"]
    naive_cold = cold["naive build (no .pyc)"]
    edge_cold = cold["edge viewer-request (no .pyc)"]
    junction = warm["junction"]
    model: dict[str, ModelResult] = results["model"]
    edge_model = model[model_key("edge viewer-request", "junction", EDGE_MEMORY_MB)]
    naive_model = model[model_key("naive build", "junction", EDGE_MEMORY_MB)]
    worst = max(
        (
            (
                model[model_key(label, first, EDGE_MEMORY_MB if label.startswith("edge") else API_MEMORY_MB)],
                label,
                first,
            )
            for label in MODEL_HANDLERS
            for first in FIRST_EVENTS
        ),
        key=lambda item: item[0].first / item[0].warm,
    )
    local_inits = [
        model[model_key(label, first, API_MEMORY_MB)].init for label in MODEL_HANDLERS[1:] for first in FIRST_EVENTS
    ] + [model[model_key(REDIRECT_LABEL, "not_junction", API_MEMORY_MB)].init]
    checks: list[tuple[bool, str]] = [
        (
            all(
                model[model_key(label, first, EDGE_MEMORY_MB if label.startswith("edge") else API_MEMORY_MB)].first
                <= 2
                * model[model_key(label, first, EDGE_MEMORY_MB if label.startswith("edge") else API_MEMORY_MB)].warm
                for label in MODEL_HANDLERS
                for first in FIRST_EVENTS
            ),
            "first invoke ≤ 2x warm invoke under the Lambda model, every handler and first event: worst "
            f"{ratio(worst[0].first, worst[0].warm)} ({worst[1]}, {worst[2]} first)",
        ),
        (
            max(local_inits) <= 0.35 * naive_model.init,
            "API function init ≤ 0.35x the naive build's, reject and redirect fallbacks (Lambda model, .pyc, same "
            f"run): worst {ratio(max(local_inits), naive_model.init)}",
        ),
        *network_fallback_checks(model, naive_model.init),
        (
            edge_model.init <= 0.3 * naive_model.init,
            "edge init ≤ 0.3x the naive build's (Lambda model, .pyc, same run): "
            f"{ratio(edge_model.init, naive_model.init)}",
        ),
        (
            edge_model.first_callback <= 0.5 * naive_model.first_callback,
            "edge first-callback latency ≤ 0.5x the naive build's at 128 MB (replaces the warm full-core target): "
            f"{ratio(edge_model.first_callback, naive_model.first_callback)}",
        ),
        (edge_cold <= 0.5 * naive_cold, f"edge cold init without .pyc ≤ 0.5x naive: {ratio(edge_cold, naive_cold)}"),
        (
            all(warm["not_junction"][s] < junction[s] for s in ("cloudfront", "http_api", "rest_api", "alb")),
            "non-Junction pass-through cheaper than a redirect, every handler",
        ),
        (sizes["edge (.pyc)"] <= EDGE_TARGET_KB, f"edge asset ≤ {EDGE_TARGET_KB} KB: {sizes['edge (.pyc)']:.0f} KB"),
        (
            cold["HTTP API handler (no .pyc)"] < naive_cold,
            f"API handler cold init without .pyc below naive: {ratio(cold['HTTP API handler (no .pyc)'], naive_cold)}"
            " with a Junction callback first, "
            f"{ratio(cold['HTTP API handler, non-Junction first event (no .pyc)'], naive_cold)} with any other first "
            "(the warm-up is in init whatever comes first)",
        ),
    ]
    return [("met: " if ok else "**missed**: ") + text for ok, text in checks]


def network_fallback_checks(model: dict[str, ModelResult], naive_init: float) -> list[tuple[bool, str]]:
    """The init target with a network fallback: 0.35x the naive build's plus what its network client
    (TLS context and HTTP client) costs alone, measured in the same run (benchmarks/network_clients.py)."""
    checks = []
    for mode, label in (("proxy", PROXY_LABEL), ("invoke", INVOKE_LABEL)):
        routed = model[model_key(label, "not_junction", API_MEMORY_MB)].init
        client = model[client_cost_key(mode)].init
        checks.append(
            (
                routed <= 0.35 * naive_init + client,
                f"API function init with the {mode} fallback ≤ 0.35x the naive build's + its network client alone "
                f"(Lambda model, .pyc, same run): {routed:.1f} ms ≤ {0.35 * naive_init:.1f} + {client:.1f} ms",
            )
        )
    return checks


def model_key(label: str, first: str, memory: int) -> str:
    """Key of one Lambda-model figure (see :func:`model_variants`)."""
    return f"{label}|{first}|{memory}"


def cost_per_million(memory_mb: int, billed_ms: float) -> float:
    """Dollars per million invocations billed ``billed_ms`` each (rounded up to 1 ms, as Lambda does)."""
    duration = math.ceil(billed_ms) / 1000 * memory_mb / 1024 * PRICE_PER_GB_SECOND
    return 1_000_000 * (PRICE_PER_REQUEST + duration)


def knee(rows: list[tuple[int, float]], tolerance: float = 0.15) -> int:
    """The smallest memory whose latency is within ``tolerance`` of the fastest size's: past it,
    more memory buys (almost) nothing. Robust to noise on a flat curve, unlike step-to-step gains."""
    best = min(latency for _, latency in rows)
    return next(memory for memory, latency in rows if latency <= best * (1 + tolerance))


def model_runtime(model: dict[str, ModelResult]) -> float:
    """Median cost of the runtime's own imports over every row."""
    return statistics.median(result.runtime for result in model.values())


def render_model(results: dict[str, Any]) -> list[str]:
    """The Lambda-model tables: every handler and first event, then the API memory sweep."""
    model: dict[str, ModelResult] = results["model"]
    naive_edge = model[model_key("naive build", "junction", EDGE_MEMORY_MB)]
    lines = [
        "### Lambda model: the first callback after a cold start (median ms)",
        "",
        "A fresh `python -I -S -B` first imports what Lambda's Python runtime itself imports "
        f"(`{', '.join(lambda_model.RUNTIME_PRELOAD)}`: {model_runtime(model):.1f} ms, the same for every row "
        "and not counted below), then the handler at full CPU (*init*), then moves into a cgroup CPU quota "
        "of memory/1769 of one CPU (`cpu.cfs_quota_us` per 100 ms period) and serves its first event and "
        f"{lambda_model.WARM_INVOKES} more (*warm* = their median), each after a 2 ms wait as the runtime "
        "blocks on the next invocation. As in Lambda, `_HANDLER` names the deployed entry point (the regional rows "
        "call `api_handler`, as `CallbackRouter` deploys it), stdout flushes "
        "every write, and each event is decoded from its JSON just before its invoke (only the handler call "
        f"is timed). {results['model_runs']} interleaved fresh processes per row, .pyc assets as shipped."
        + (f" **{results['model_note']}**" if results["model_note"] else ""),
        "",
        "| handler | memory (CPU) | first event | init (full CPU) | first invoke | warm invoke | first / warm "
        "| first callback latency | vs naive |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [
        (label, first, EDGE_MEMORY_MB if label.startswith("edge") else API_MEMORY_MB)
        for label in MODEL_HANDLERS
        for first in FIRST_EVENTS
    ]
    rows += [("naive build", "junction", memory) for memory in sorted({EDGE_MEMORY_MB, API_MEMORY_MB})]
    rows += [("edge without logs or metrics", "junction", EDGE_MEMORY_MB), ("floor", "junction", EDGE_MEMORY_MB)]
    for label, first, memory in rows:
        figure = model[model_key(label, first, memory)]
        naive = model[model_key("naive build", "junction", memory)]
        name = {
            "naive build": "naive build (REST resolver + PyJWT)",
            "floor": "floor (`import base64, json`)",
            "edge without logs or metrics": "bound: edge core, no logs or metrics",
        }.get(label, label)
        lines.append(
            f"| {name} | {memory} MB ({cpu_share(memory):.1%}) | {first if label != 'floor' else 'any'} | "
            f"{figure.init:.1f} | {figure.first:.2f} | {figure.warm:.2f} | {ratio(figure.first, figure.warm)} | "
            f"**{figure.first_callback:.1f}** | {ratio(figure.first_callback, naive.first_callback)} |"
        )
    edge = model[model_key("edge viewer-request", "junction", EDGE_MEMORY_MB)]
    bound = model[model_key("edge without logs or metrics", "junction", EDGE_MEMORY_MB)]
    lines += [
        "",
        f"Edge init vs the naive build's, same run: **{ratio(edge.init, naive_edge.init)}**; the edge core without "
        f"Powertools Logger/Metrics (the bound row) {ratio(bound.init, naive_edge.init)}.",
        "",
        "Shipped edge asset, init after the runtime's own imports, median self time by top-level package "
        "(`-X importtime`, 5 runs, ms): "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in results["edge_shipped_profile"][:12]),
        "",
        "### API function memory: first callback latency and cost (HTTP API handler, Junction callback first)",
        "",
        "Cost per million callbacks, Lambda x86 in us-east-1 ($0.20 per million requests, $0.0000166667 per "
        "GB-second, https://aws.amazon.com/lambda/pricing/, read 2026-11-30), billed duration rounded up to "
        "1 ms. Init is billed since 2025-08-01, so *all cold* bills init + first invoke per callback (the rare-"
        "callback worst case); *all warm* bills the warm invoke. The last column is a pessimistic model "
        f"(init throttled to the share as well, {results['slow_runs']} runs): what the latency would be if "
        "Lambda did not run init unthrottled.",
        "",
        "| memory | CPU share | init (full CPU) | first invoke | first callback latency | $ per 1M, all cold "
        "| $ per 1M, all warm | first callback, init at the share too "
        "| company callback via the proxy fallback (HTTPS): first callback latency |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    sweep: list[tuple[int, float]] = []
    pessimistic: list[tuple[int, float]] = []
    proxy: list[tuple[int, float]] = []
    for memory in MEMORY_SWEEP:
        figure = model[model_key("HTTP API", "junction", memory)]
        slow = model[model_key("HTTP API, init at the share too", "junction", memory)]
        proxied = model[model_key(PROXY_LABEL, "not_junction", memory)]
        proxy.append((memory, proxied.first_callback))
        sweep.append((memory, figure.first_callback))
        pessimistic.append((memory, slow.first_callback))
        lines.append(
            f"| {memory} MB | {cpu_share(memory):.1%} | {figure.init:.1f} | {figure.first:.2f} | "
            f"**{figure.first_callback:.1f}** | {cost_per_million(memory, figure.first_callback):.2f} | "
            f"{cost_per_million(memory, figure.warm):.2f} | {slow.first_callback:.0f} | {proxied.first_callback:.0f} |"
        )
    lines += [
        "",
        f"Knee (smallest size within 15% of the fastest size's latency): "
        f"**{knee(sweep)} MB** under the model; {knee(pessimistic)} MB if init were throttled too; "
        f"{knee(proxy)} MB for a company callback through the proxy fallback (a full TLS handshake to an "
        "HTTPS upstream on loopback in the throttled invoke, its TLS context built at init).",
        "",
        *render_fallbacks(model),
        "",
        *render_clients(model, results["model_runs"]),
    ]
    return lines


def render_fallbacks(model: dict[str, ModelResult]) -> list[str]:
    """A company callback through each fallback across the memory sweep, and what invoke bills."""
    lines = [
        "### A company callback through the fallback: proxy vs invoke (HTTP API handler, median ms)",
        "",
        "The same router at each memory, a company callback first: *proxy* replays it to the company's HTTPS "
        "endpoint on loopback (a new TLS connection per callback); *invoke* sends the event to the company's "
        "function through the Lambda `Invoke` stand-in on loopback over HTTPS (`tools/local_lambda.py`, "
        "signature verified; the first invoke pays the handshake, warm ones reuse the connection). In the "
        "stand-in the company's function answers at once: its own run time, near zero here, is added in AWS "
        "(as it is today, when the function is called directly). Invoke bills two invocations per company "
        "callback: the company's function as before, plus the router for as long as it waits; the last two "
        "columns are that router's share per million company callbacks, from the measured durations (*all "
        "cold*: init + first invoke; *all warm*: the warm invoke), excluding the company function's own.",
        "",
        "| memory | proxy: init | proxy: first company callback | proxy: warm | invoke: init "
        "| invoke: first company callback | invoke: warm | invoke / proxy, first | invoke / proxy, warm "
        "| router's $ per 1M via invoke, all cold | all warm |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for memory in MEMORY_SWEEP:
        proxied = model[model_key(PROXY_LABEL, "not_junction", memory)]
        invoked = model[model_key(INVOKE_LABEL, "not_junction", memory)]
        lines.append(
            f"| {memory} MB | {proxied.init:.1f} | {proxied.first_callback:.1f} | {proxied.warm:.2f} | "
            f"{invoked.init:.1f} | **{invoked.first_callback:.1f}** | **{invoked.warm:.2f}** | "
            f"{ratio(invoked.first_callback, proxied.first_callback)} | {ratio(invoked.warm, proxied.warm)} | "
            f"{cost_per_million(memory, invoked.first_callback):.2f} | {cost_per_million(memory, invoked.warm):.2f} |"
        )
    return lines


def write_markdown(block: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace the generated block in ``path`` (or create the file around it)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN not in text:
        text += "\n" + BEGIN + "\n" + END + "\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(head + block.rstrip("\n") + tail, encoding="utf-8")


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text(encoding="utf-8"))
        cpu = found.group(1).strip() if found else cpu
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21, help="fresh processes per cold-start figure")
    parser.add_argument("--model-runs", type=int, default=11, help="fresh processes per Lambda-model figure")
    parser.add_argument("--slow-runs", type=int, default=3, help="runs of the throttled-init sweep (seconds each)")
    parser.add_argument("--load-requests", type=int, default=20_000, help="requests per front (0: skip load)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--output", type=Path, default=BENCHMARKS_MD)
    args = parser.parse_args(argv)
    step: Callable[[str], None] = lambda text: print(f"[bench] {text}", file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="bench-") as temp:
        workdir = Path(temp)
        step("building assets")
        assets = build_all(workdir)
        sizes = {
            "edge (.pyc)": zipped_kb(assets["edge+pyc"]),
            "edge (no .pyc)": zipped_kb(assets["edge"]),
            "api (.pyc)": zipped_kb(assets["api+pyc"]),
            "api (no .pyc)": zipped_kb(assets["api"]),
        }
        scratch = workdir / "scratch"
        scratch.mkdir()
        variants = cold_variants(assets)
        step(f"cold starts: {len(variants)} variants x {args.runs} runs")
        cold = measure_cold(variants, args.runs, scratch)
        edge_no_pyc = next(v for v in variants if v.name == "edge viewer-request (no .pyc)")
        profile = import_profile(edge_no_pyc, scratch)
        cert, key = throwaway_certificate(workdir)
        with (
            https_upstream(cert, key) as port,
            LocalLambda({"company": company_function}, tls=(cert, key)) as stand_in,
            company_environ(cert, stand_in),
        ):
            proxy_stage = parse_stage(
                "bench-proxy",
                {
                    "shape": "http_api",
                    "environments": CONFIG["environments"],
                    "fallback": {"mode": "proxy", "url": f"https://127.0.0.1:{port}{PROXY_PATH}"},
                },
            )
            assets["api-proxy+pyc"] = build_asset("api", proxy_stage, workdir / "api-proxy-pyc")
            invoke_stage = parse_stage(
                "bench-invoke",
                {
                    "shape": "http_api",
                    "environments": CONFIG["environments"],
                    "fallback": {"mode": "invoke", "function_arn": FUNCTION_ARN, "timeout_seconds": 10},
                },
            )
            assets["api-invoke+pyc"] = build_asset("api", invoke_stage, workdir / "api-invoke-pyc")
            model_list = (
                model_variants(assets)
                + client_variants(assets["api-invoke+pyc"], scratch)
                + network_client_variants(assets, scratch)
            )
            step(f"Lambda model: {len(model_list)} variants x {args.model_runs} runs")
            model, model_note = measure_model(model_list, args.model_runs, scratch, args.slow_runs)
        if model_note:
            print(f"[bench] note: {model_note}", file=sys.stderr)
        shipped_profile = shipped_edge_profile(assets["edge+pyc"], scratch)
        step("warm per-event costs")
        warm = measure_warm(assets["naive"], scratch)
    step("CloudFront Function in Node")
    cff = cloudfront_function.measure_cloudfront_function()
    load = {}
    if args.load_requests:
        step("load on loopback")
        load = measure_load(args.load_requests, args.concurrency)
    results = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "python": platform.python_version(),
        "runtime": lambda_python_version(),
        "runs": args.runs,
        "cold": cold,
        "edge_profile": profile,
        "model": model,
        "edge_shipped_profile": shipped_profile,
        "model_note": model_note,
        "model_runs": args.model_runs,
        "slow_runs": args.slow_runs,
        "warm": warm,
        "cloudfront_function": cff,
        "sizes": sizes,
        "load": load,
    }
    block = render(results)
    print(block)
    write_markdown(block, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
