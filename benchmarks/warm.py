"""Warm per-event cost, run in a child process whose stdout (logs, EMF) goes to /dev/null.

Usage: ``python -m benchmarks.warm NAIVE_DIR OUT.json``. Every handler is imported and warmed
first. Then all scenarios are timed *interleaved*: each round runs every scenario once for its
calibrated number of loops, and each figure is the median over the rounds, so drift on a noisy
machine (other processes, CPU steal) lands on every scenario alike.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.baselines import guide_approach
from benchmarks.scenarios import CONFIG, HANDLER_OF, QUERIES, event
from tests.support.contexts import LambdaContext
from tests.support.tokens import mint_token, token_of_length

ROUNDS = 15
ROUND_SECONDS = 0.02
"""Calibrated time per scenario per round: ~45 scenarios x 15 rounds x 20 ms is about 15 s."""
GROWTH_SOURCES = ("cloudfront", "http_api")


def invocation(handlers: ModuleType, source: str, raw_query: str, context: LambdaContext) -> Callable[[], Any]:
    """One ready-to-call handler invocation for ``GET /oauth_callback/fitbit?raw_query``."""
    return partial(getattr(handlers, HANDLER_OF[source]), event(source, raw_query), context)


def loops_for(call: Callable[[], Any]) -> int:
    """How many calls take about ``ROUND_SECONDS`` (after a warm-up call)."""
    call()
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            call()
        if time.perf_counter() - start >= ROUND_SECONDS / 4:
            return max(1, int(loops * ROUND_SECONDS / (time.perf_counter() - start)))
        loops *= 2


def measure(scenarios: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """Median microseconds per call of every scenario, timed in interleaved rounds."""
    loops = {name: loops_for(call) for name, call in scenarios.items()}
    samples: dict[str, list[float]] = {name: [] for name in scenarios}
    gc.collect()
    gc.disable()  # as timeit does: a collection would land on whichever scenario happened to run
    try:
        _rounds(scenarios, loops, samples)
    finally:
        gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def _rounds(scenarios: dict[str, Callable[[], Any]], loops: dict[str, int], samples: dict[str, list[float]]) -> None:
    for _ in range(ROUNDS):
        for name, call in scenarios.items():
            count = loops[name]
            start = time.perf_counter()
            for _ in range(count):
                call()
            samples[name].append((time.perf_counter() - start) / count * 1e6)


def main(naive_dir: str, out: str) -> None:
    os.environ["CALLBACK_ROUTER_CONFIG"] = json.dumps(CONFIG)
    sys.path.insert(0, naive_dir)
    import jwt
    import naive_handler  # type: ignore[import-not-found]

    from callback_router import api_handlers, edge_handler, handlers
    from callback_router.core.decision import Decision, Outcome

    observability = api_handlers.observability
    lean = edge_handler.observability
    redirect = Decision(Outcome.JUNCTION_REDIRECT, "accepted_audience", "fitbit", "sandbox-us", "https://x")

    @observability.metrics.log_metrics
    @observability.logger.inject_lambda_context(log_event=False)
    def observability_floor(event: dict[str, Any], context: Any) -> dict[str, Any]:
        """What every invocation pays for Powertools alone: context, one log line, one EMF document."""
        observability.record(redirect, "request-id")
        return event

    @lean.metrics.log_metrics
    @lean.logger.inject_lambda_context(log_event=False)
    def lean_floor(event: dict[str, Any], context: Any) -> dict[str, Any]:
        """The same line and document from the edge's lean writer."""
        lean.record(redirect, "request-id")
        return event

    context = LambdaContext()
    junction_state = mint_token()
    scenarios: dict[str, Callable[[], Any]] = {
        "jwt.decode alone": partial(jwt.decode, junction_state, options={"verify_signature": False}),
        "Powertools floor": partial(observability_floor, {}, context),
        "lean floor": partial(lean_floor, {}, context),
    }
    for decision, query in QUERIES.items():
        scenarios[f"{decision}/guide approach (correct)"] = partial(guide_approach, query, "fitbit")
        scenarios[f"{decision}/naive build (REST)"] = partial(naive_handler.handler, event("rest_api", query), context)
        for source in HANDLER_OF:
            scenarios[f"{decision}/{source}"] = invocation(handlers, source, query, context)
    lengths = {}
    for length in (100, 500, 1000, 2000, 4096):
        state = token_of_length(length)
        lengths[length] = len(state)
        for source in GROWTH_SOURCES:
            scenarios[f"state {len(state)}/{source}"] = invocation(
                handlers, source, f"code=4f1b2c3d&state={state}", context
            )
    for extra in (0, 1000, 4000, 16000):
        query = f"code=4f1b2c3d&state={junction_state}&note={'a' * extra}"
        for source in GROWTH_SOURCES:
            scenarios[f"query {extra}/{source}"] = invocation(handlers, source, query, context)
    # The measured calls must be the right ones: a Junction callback is redirected.
    assert handlers.viewer_request_handler(event("cloudfront", QUERIES["junction"]), context)["status"] == "307"

    timings = measure(scenarios)
    results: dict[str, Any] = {
        "per_event": {name: timings.pop(name) for name in ("jwt.decode alone", "Powertools floor", "lean floor")}
    }
    for name, value in timings.items():
        group, _, column = name.partition("/")
        kind, _, size = group.partition(" ")
        if kind in ("state", "query"):
            results.setdefault(f"{kind}_growth", {}).setdefault(size, {})[column] = value
        else:
            results["per_event"].setdefault(group, {})[column] = value
    Path(out).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
