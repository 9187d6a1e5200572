"""The router as a CloudFront Function: its per-request time in Node, and its price next to Lambda@Edge's.

The generated code (``function_code`` of the benchmarks' config) runs in the Node runner that the
tests and ``make run`` use (:class:`tools.cloudfront_function.NodeFunctionRunner`, a ``vm``
context like the runtime's), on the same callbacks as the warm Python figures
(:data:`benchmarks.scenarios.QUERIES`), built as CloudFront Functions events by the local
gateway's own :func:`~tools.local_gateway.cloudfront_function.function_request`. Each round times
``REPEAT`` calls in the runner's ``repeat`` mode (mean per call); the figure is the median over
``ROUNDS`` rounds, the decisions interleaved as in ``benchmarks.warm``.

This is Node on this machine at full CPU, not CloudFront's runtime (whose budget is counted as
*compute utilisation*, not time): the figure compares the two implementations' work, and the
Lambda@Edge side is billed by duration, so its cost uses the Lambda model's measured durations.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from benchmarks.scenarios import CONFIG, QUERIES
from tests.support.events import DEFAULT_PATH as PATH

ROUNDS = 15
REPEAT = 20_000
"""Calls per round per decision: ~µs each, so a round is tens of ms, well above timer noise."""
HEADERS = [("Host", "d111111abcdef8.cloudfront.net"), ("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")]
CFF_PRICE_PER_INVOCATION = 0.10 / 1_000_000
EDGE_PRICE_PER_REQUEST = 0.60 / 1_000_000
EDGE_PRICE_PER_GB_SECOND = 0.00005001
PRICES_SOURCE = (
    "CloudFront Functions $0.10 per million invocations, no duration charge "
    "(https://aws.amazon.com/cloudfront/pricing/); Lambda@Edge $0.60 per million requests plus "
    "$0.00005001 per GB-second, billed per 1 ms (https://aws.amazon.com/lambda/pricing/, Lambda@Edge "
    "pricing); read 2026-12-04"
)
EXPECTED = {"junction": 307}
"""The measured calls must be the right ones: a Junction callback is answered 307, the rest passed on."""


def measure_cloudfront_function(rounds: int = ROUNDS, repeat: int = REPEAT) -> dict[str, Any]:
    """Median µs per request of the generated function in Node, per decision, and its code size."""
    from callback_router.core.config import parse_config
    from junction_callback_router.cloudfront_function import function_code
    from tools.cloudfront_function import NodeFunctionRunner
    from tools.local_gateway.cloudfront_function import function_request

    code = function_code(parse_config(CONFIG))
    requests = {
        decision: function_request("GET", f"{PATH}?{query}", HEADERS, "bench-request-id")
        for decision, query in QUERIES.items()
    }
    samples: dict[str, list[float]] = {decision: [] for decision in requests}
    with NodeFunctionRunner() as node:
        for decision, request in requests.items():
            [result] = node.evaluate(code, [request])["results"]
            status = (result.get("response") or {}).get("statusCode")
            if result.get("threw") is not None or status != EXPECTED.get(decision):
                raise RuntimeError(f"the CloudFront Function answered {decision!r} wrongly: {result}")
        for _ in range(rounds):
            for decision, request in requests.items():
                samples[decision].append(node.evaluate(code, [request], repeat=repeat)["nanoseconds"] / 1000)
    return {
        "per_request": {decision: statistics.median(values) for decision, values in samples.items()},
        "code_bytes": len(code.encode("utf-8")),
        "rounds": rounds,
        "repeat": repeat,
    }


def edge_cost_per_million(memory_mb: int, billed_ms: float) -> float:
    """Lambda@Edge dollars per million requests billed ``billed_ms`` each (rounded up to 1 ms)."""
    duration = math.ceil(billed_ms) / 1000 * memory_mb / 1024 * EDGE_PRICE_PER_GB_SECOND
    return 1_000_000 * (EDGE_PRICE_PER_REQUEST + duration)


def render(cff: dict[str, Any], warm: dict[str, Any], edge_model: dict[str, Any], memory_mb: int) -> list[str]:
    """The Markdown section: per-request time vs the Lambda@Edge handler, then the cost per million.

    ``warm``: ``benchmarks.warm``'s per-event figures (µs, full CPU); ``edge_model``: the Lambda
    model's :class:`~benchmarks.lambda_model.ModelResult` for the edge handler at ``memory_mb``,
    by first event (ms, CPU at the memory's share).
    """
    per_request = cff["per_request"]
    lines = [
        "### CloudFront Function vs Lambda@Edge: per-request time (same run)",
        "",
        f"The generated CloudFront Function ({cff['code_bytes']:,} bytes of the 10 KB limit) in Node's `vm` "
        f"(the runner the tests use), {cff['repeat']:,} calls per round in its `repeat` mode, median of "
        f"{cff['rounds']} interleaved rounds, console.log line included; against the Lambda@Edge handler "
        "(`viewer_request_handler`, Powertools logger and EMF included) warm at full CPU (the table above) and "
        f"its warm invoke under the Lambda model at {memory_mb} MB. Node at full CPU on this machine, not "
        "CloudFront's runtime.",
        "",
        "| callback | CloudFront Function, Node (µs) | Lambda@Edge warm, full CPU (µs) | CFF / Lambda@Edge "
        f"| Lambda@Edge warm invoke at {memory_mb} MB (µs) | CFF / that |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for decision, micros in per_request.items():
        full = warm["per_event"][decision]["cloudfront"]
        model = edge_model.get(decision)
        modelled = f"{model.warm * 1000:.0f} | {micros / (model.warm * 1000):.3f}x" if model else "n/a | n/a"
        lines.append(f"| {decision} | {micros:.2f} | {full:.1f} | {micros / full:.2f}x | {modelled} |")
    junction = edge_model["junction"]
    warm_ms, cold_ms = junction.warm, junction.init + junction.first
    lines += [
        "",
        f"### Cost per million callbacks: CloudFront Function vs Lambda@Edge at {memory_mb} MB",
        "",
        f"Prices: {PRICES_SOURCE}. Lambda@Edge durations are this run's Lambda-model figures for a Junction "
        f"callback at {memory_mb} MB: *warm* bills the warm invoke; *cold* bills init + first invoke, the case "
        "most rare callbacks at the edge get (if init is billed, as for on-demand functions since 2025-08-01). "
        "CloudFront's own request charge is the same either way and left out.",
        "",
        "| function | billed per callback | $ per 1M callbacks | vs CloudFront Function |",
        "|---|---:|---:|---:|",
        f"| CloudFront Function | one invocation | {CFF_PRICE_PER_INVOCATION * 1_000_000:.2f} | 1x |",
    ]
    for label, billed in (("warm", warm_ms), ("cold", cold_ms)):
        cost = edge_cost_per_million(memory_mb, billed)
        lines.append(
            f"| Lambda@Edge {memory_mb} MB, all {label} | {math.ceil(billed)} ms ({billed:.2f} measured) "
            f"| {cost:.2f} | {cost / (CFF_PRICE_PER_INVOCATION * 1_000_000):.1f}x |"
        )
    return lines
