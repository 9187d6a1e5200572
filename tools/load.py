"""A bounded load generator for the local gateway: N requests at concurrency C over loopback.

Each request is one of a fixed mix of *probes*: Junction callbacks (accepted environment),
tokens of a Junction environment the stage does not accept, the company's own callbacks, and
garbage. Every probe carries the exact answer it must get (status, ``Location``, and for
requests that reach the company stand-in the exact target it received), and every answer is
checked. Nothing is timed against a threshold: the result reports throughput and latency.

Use from code (``tests/e2e/test_load.py``, ``benchmarks/run.py``)::

    from tools.local_gateway import start_gateway
    from tools.load import load_gateway

    gateway = start_gateway(stage, log_level="ERROR", emf=False)
    try:
        result = load_gateway(gateway, front="http_api", requests=20_000, concurrency=50, time_limit=60.0)
    finally:
        gateway.stop()
    print(result.summary())   # result.ok, result.throughput_rps, result.p50_ms, result.p99_ms, ...
"""

from __future__ import annotations

import http.client
import multiprocessing
import statistics
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tools.local_gateway import LocalGateway

FRONTS = ("http_api", "edge", "alb")
KINDS = ("junction", "foreign", "not_junction", "garbage")
URI_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?[]@!$&'()*+,;=%")
"""RFC 3986 characters. Every probe query is made of these only, so the router must forward it
byte for byte; expected answers are then plain string concatenation, not the router's code."""

# Provider query values that need care: '+', '%2F', '%20', '=' inside a value, '~', an empty
# value, repeated keys.
CAREFUL_QUERY = "code=ab+cd%2Fef%20gh&scope=activity+heartrate%20sleep&next=a=b=c&tilde=~x~&empty=&scope=again"


@dataclass(frozen=True)
class Probe:
    """One kind of request and the exact answer it must get."""

    kind: str
    """``junction``, ``foreign``, ``not_junction`` or ``garbage``."""
    method: str
    target: str
    """Raw path and query, sent as is."""
    status: int
    location: str | None = None
    """The exact ``Location`` expected; ``None``: there must be none."""
    company_target: str | None = None
    """When the company stand-in must have answered: the exact target it received."""

    def check(self, status: int, location: str | None, company_target: str | None) -> str | None:
        """``None`` if the answer is right, else what is wrong."""
        if status != self.status:
            return f"{self.method} {self.target[:80]}: status {status}, expected {self.status}"
        if location != self.location:
            return f"{self.method} {self.target[:80]}: Location {location!r}, expected {self.location!r}"
        if company_target != self.company_target:
            return f"{self.method} {self.target[:80]}: company got {company_target!r}, expected {self.company_target!r}"
        return None


@dataclass
class LoadResult:
    """What a run did. ``ok`` means every planned request was sent and answered exactly right."""

    front: str
    requests: int
    """Planned number of requests."""
    concurrency: int
    completed: int = 0
    """Requests sent and answered (right or wrong)."""
    errors: int = 0
    """Requests that got no HTTP answer (connection refused/reset, timeout)."""
    wrong: int = 0
    """Answers that were not exactly the expected one."""
    seconds: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """The first few errors and wrong answers, for the report."""
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    timed_out: bool = False
    """The time limit stopped the run before every request was sent."""

    @property
    def ok(self) -> bool:
        """Every planned request answered, no errors, no wrong answers."""
        return self.completed == self.requests and self.errors == 0 and self.wrong == 0 and not self.timed_out

    @property
    def throughput_rps(self) -> float:
        """Completed requests per second of wall time."""
        return self.completed / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, percent: float) -> float:
        """Latency percentile in milliseconds (nearest rank); 0.0 with no samples."""
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        rank = max(0, min(len(ordered) - 1, round(percent / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank]

    @property
    def p50_ms(self) -> float:
        """Median latency, milliseconds."""
        return self.percentile_ms(50)

    @property
    def p99_ms(self) -> float:
        """99th percentile latency, milliseconds."""
        return self.percentile_ms(99)

    def summary(self) -> str:
        """One paragraph with every figure and the request counts behind it."""
        kinds = ", ".join(f"{kind} {self.by_kind.get(kind, 0)}" for kind in KINDS)
        mean = statistics.fmean(self.latencies_ms) if self.latencies_ms else 0.0
        lines = [
            f"{self.front} front: {self.completed}/{self.requests} requests at concurrency {self.concurrency} "
            f"in {self.seconds:.2f} s ({kinds})",
            f"  throughput {self.throughput_rps:.0f} req/s; latency p50 {self.p50_ms:.2f} ms, "
            f"p99 {self.p99_ms:.2f} ms, mean {mean:.2f} ms, max {max(self.latencies_ms, default=0.0):.2f} ms",
            f"  errors {self.errors}, wrong answers {self.wrong}{', TIMED OUT' if self.timed_out else ''}",
        ]
        lines += [f"  problem: {problem}" for problem in self.problems]
        return "\n".join(lines)


def _fallback_answer(gateway: LocalGateway, provider: str | None, query: str) -> tuple[int, str | None, str | None]:
    """What the HTTP API front's configured (local) fallback answers: status, Location, company target."""
    fallback = gateway.router.fallback
    url = fallback.url
    if fallback.mode == "reject" or url is None:
        return 404, None, None
    if "{provider}" in url:
        if provider is None:
            return 404, None, None
        url = url.replace("{provider}", provider)
    suffix = f"?{query}" if query else ""
    if fallback.mode == "redirect":
        return 307, url + suffix, None
    return 200, None, (urlsplit(url).path or "/") + suffix


def _alb_grouped(query: str) -> str:
    """``query`` as it leaves an ALB event: pairs grouped by key (first appearance), values in order."""
    grouped: dict[str, list[str]] = {}
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            grouped.setdefault(key, []).append(value)
    return "&".join(f"{key}={value}" for key, values in grouped.items() for value in values)


def _alb_passed_on(gateway: LocalGateway, kind: str, method: str, target: str, provider: str | None) -> Probe:
    """A request that is not Junction's on the ALB front: which rule takes it, and what that answers."""
    from tools.local_gateway import match_alb_rule

    if match_alb_rule(gateway.alb_rules, target, []) is None:  # the default action: the company, as sent
        return Probe(kind, method, target, 200, None, target)
    # The router rule: the function's fallback proxies to the ALB front itself, whose bypass rule
    # hands the (regrouped) request to the company stand-in.
    url = str(gateway.alb_runtime["fallback"]["url"])
    if "{provider}" in url:
        if provider is None:
            return Probe(kind, method, target, 404)
        url = url.replace("{provider}", provider)
    query = _alb_grouped(target.partition("?")[2])
    return Probe(kind, method, target, 200, None, (urlsplit(url).path or "/") + (f"?{query}" if query else ""))


def probes_for(gateway: LocalGateway, front: str) -> list[Probe]:
    """The request mix for one front of a running gateway, each with its exact expected answer."""
    from tools.local_gateway import mint_link_token, sample_provider

    if front not in FRONTS:
        raise ValueError(f"front must be one of {FRONTS}, not {front!r}")
    router = gateway.router
    accepted = next(iter(router.accepted_base_urls))
    foreign = next(iter(router.foreign_base_urls), None)
    provider, path = sample_provider(router)
    token = mint_link_token(accepted, sub="load-sub", team_id="load-team", user_id="load-user")
    probes: list[Probe] = []

    def passed_on(kind: str, method: str, target: str, provider_text: str | None) -> Probe:
        # Not for Junction: the edge passes it on to the origin (the company stand-in) unchanged;
        # the HTTP API front applies the stage's fallback.
        if front == "edge":
            return Probe(kind, method, target, 200, None, target)
        if front == "alb":
            return _alb_passed_on(gateway, kind, method, target, provider_text)
        if provider_text is None:  # no route: API Gateway's own 404, the function is not invoked
            return Probe(kind, method, target, 404)
        query = target.partition("?")[2]
        status, location, company = _fallback_answer(gateway, provider_text, query)
        return Probe(kind, method, target, status, location, company)

    junction_queries = [
        f"code=load-1&state={token}",
        f"{CAREFUL_QUERY}&state={token}",
        f"error=access_denied&error_description=The+user+denied%20access&state={token}",
    ]
    # An ALB event groups repeated keys (CAREFUL_QUERY interleaves `scope`); the other fronts keep the order.
    forwarded = _alb_grouped if front == "alb" else str
    for query in junction_queries:
        location = f"{accepted}/connect/{provider}?{forwarded(query)}"
        probes.append(Probe("junction", "GET", f"{path}?{query}", 307, location))
    probes.append(
        Probe(
            "junction",
            "HEAD",
            f"{path}?{junction_queries[0]}",
            307,
            f"{accepted}/connect/{provider}?{forwarded(junction_queries[0])}",
        )
    )
    if foreign is not None:
        foreign_token = mint_link_token(foreign, sub="load-sub", team_id="load-team", user_id="load-user")
        probes.append(passed_on("foreign", "GET", f"{path}?code=load-2&state={foreign_token}", provider))
    long_state = "eyJ" + "A" * (router.max_state_length + 10)
    for query in (
        "code=load-3&state=company-own-state-42",
        "state=success",  # Junction's own redirect back to the company's redirect_url
        "state=error&error_type=provider_error",
        "oauth_token=t0k&oauth_verifier=v3r",  # Garmin OAuth 1.0a: no state at all
        f"{CAREFUL_QUERY}&state=company%2Fown+state",
    ):
        probes.append(passed_on("not_junction", "GET", f"{path}?{query}", provider))
    probes.append(passed_on("not_junction", "POST", f"{path}?code=load-4&state={token}", provider))
    for query in (
        "state=eyJ.broken.token",
        "state=%ZZ%",
        f"state={long_state}",
        f"state={token}&state={token}",
        "",
    ):
        probes.append(passed_on("garbage", "GET", f"{path}?{query}" if query else path, provider))
    probes.append(passed_on("garbage", "GET", f"/not/a/callback?state={token}", None))
    if any(route.has_placeholder for route in router.routes):
        bad = next(route for route in router.routes if route.has_placeholder).path.replace("{provider}", "Not-A-Slug")
        probes.append(Probe("garbage", "GET", f"{bad}?state={token}", 400))
    for probe in probes:
        if not URI_CHARACTERS.issuperset(probe.target):
            raise AssertionError(f"probe target must be URI characters only: {probe.target!r}")
    return probes


def _run_share(
    host: str,
    port: int,
    probes: Sequence[Probe],
    indices: range,
    concurrency: int,
    time_limit: float,
    timeout: float,
) -> LoadResult:
    """Send the requests numbered ``indices`` (probe = number modulo the mix) with ``concurrency`` threads."""
    result = LoadResult(front="", requests=len(indices), concurrency=concurrency)
    positions = iter(indices)
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + time_limit

    def next_index() -> int | None:
        with lock:
            return next(positions, None)

    def worker() -> None:
        latencies: list[float] = []
        kinds: dict[str, int] = {}
        completed = errors = wrong = 0
        problems: list[str] = []
        timed_out = False
        connection: http.client.HTTPConnection | None = None
        while (index := next_index()) is not None:
            if time.perf_counter() > deadline:
                timed_out = True
                break
            probe = probes[index % len(probes)]
            if connection is None:
                connection = http.client.HTTPConnection(host, port, timeout=timeout)
            began = time.perf_counter()
            try:
                connection.request(probe.method, probe.target, headers={"User-Agent": "tools.load"})
                response = connection.getresponse()
                response.read()
                status = response.status
                location = response.getheader("Location")
                company = response.getheader("X-Stand-In-Target")
            except (OSError, http.client.HTTPException) as error:
                errors += 1
                if len(problems) < 5:
                    problems.append(f"{probe.method} {probe.target[:80]}: {type(error).__name__}: {error}")
                connection.close()
                connection = None
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            completed += 1
            kinds[probe.kind] = kinds.get(probe.kind, 0) + 1
            problem = probe.check(status, location, company)
            if problem is not None:
                wrong += 1
                if len(problems) < 5:
                    problems.append(problem)
        if connection is not None:
            connection.close()
        with lock:
            _merge(result, latencies, completed, errors, wrong, kinds, problems, timed_out)

    threads = [threading.Thread(target=worker, daemon=True, name=f"load-{n}") for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Bounded wait: a worker ends its last request at most `timeout` after the deadline.
        thread.join(timeout=max(0.0, deadline - time.perf_counter()) + timeout + 5)
    result.seconds = time.perf_counter() - start
    result.timed_out = result.timed_out or any(thread.is_alive() for thread in threads)
    return result


def _merge(
    result: LoadResult,
    latencies: list[float],
    completed: int,
    errors: int,
    wrong: int,
    kinds: dict[str, int],
    problems: list[str],
    timed_out: bool,
) -> None:
    result.latencies_ms += latencies
    result.completed += completed
    result.errors += errors
    result.wrong += wrong
    result.timed_out = result.timed_out or timed_out
    for kind, count in kinds.items():
        result.by_kind[kind] = result.by_kind.get(kind, 0) + count
    result.problems += problems[: max(0, 10 - len(result.problems))]


def run_load(
    base_url: str,
    probes: Sequence[Probe],
    *,
    requests: int,
    concurrency: int,
    time_limit: float = 60.0,
    front: str = "",
    timeout: float = 10.0,
    processes: int = 1,
) -> LoadResult:
    """Send ``requests`` requests (the probes in turn) at ``concurrency`` over keep-alive connections.

    The clients run in ``processes`` separate processes (spawned, ``concurrency`` threads split
    between them), so that they do not compete for the GIL with a gateway running in this
    process; ``processes=0`` runs them as threads here. Each client thread keeps one HTTP/1.1
    connection and reopens it after an error. Stops by itself after ``time_limit`` seconds even
    if not every request was sent (``result.timed_out``).
    """
    if requests < 0 or concurrency < 1 or not probes or processes < 0:
        raise ValueError("need requests >= 0, concurrency >= 1, processes >= 0 and at least one probe")
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    result = LoadResult(front=front or base_url, requests=requests, concurrency=concurrency)
    start = time.perf_counter()
    if processes == 0:
        shares = [_run_share(host, port, probes, range(requests), concurrency, time_limit, timeout)]
    else:
        processes = min(processes, concurrency)
        context = multiprocessing.get_context("spawn")  # never fork a process that runs server threads
        with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
            futures = [
                pool.submit(
                    _run_share,
                    host,
                    port,
                    list(probes),
                    range(share, requests, processes),
                    concurrency // processes + (1 if share < concurrency % processes else 0),
                    time_limit,
                    timeout,
                )
                for share in range(processes)
            ]
            shares = [future.result(timeout=time_limit + timeout + 30) for future in futures]
    for share in shares:
        _merge(
            result,
            share.latencies_ms,
            share.completed,
            share.errors,
            share.wrong,
            share.by_kind,
            share.problems,
            share.timed_out,
        )
    # Wall time of the slowest share: process start-up (~0.1 s) is not request time.
    result.seconds = max((share.seconds for share in shares), default=time.perf_counter() - start)
    return result


def load_gateway(
    gateway: LocalGateway,
    *,
    front: str = "http_api",
    requests: int = 20_000,
    concurrency: int = 50,
    time_limit: float = 60.0,
    processes: int = 1,
) -> LoadResult:
    """Run the standard mix (:func:`probes_for`) against one front of a running gateway."""
    base = {"http_api": gateway.http_api_url, "edge": gateway.edge_url, "alb": gateway.alb_url}.get(front, "")
    probes = probes_for(gateway, front)
    return run_load(
        base,
        probes,
        requests=requests,
        concurrency=concurrency,
        time_limit=time_limit,
        front=front,
        processes=processes,
    )
