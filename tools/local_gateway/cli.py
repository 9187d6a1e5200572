"""``python -m tools.local_gateway``: serve a stage on 127.0.0.1 until Ctrl-C, and what it prints.

``make run`` synthesizes the stage into ``cdk.out/`` first; the fronts read that template
(``--cdk-out``). The banner gives the addresses, a sample Link Token, the routing each front read
and curl lines to paste.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from tools.local_gateway.alb import AlbRule
from tools.local_gateway.runtime import FALLBACK_CHOICES
from tools.local_gateway.server import LocalGateway, start_gateway

if TYPE_CHECKING:
    from callback_router.core.config import RouterConfig

DEMO_SIGNING_KEY = "local-gateway-demo-key, not a secret: signatures are never verified"
"""PyJWT wants a key to mint a token; Junction's guide says the router must not verify it."""
DEFAULT_TEMPLATE_DIR = Path("cdk.out")
"""Where ``make run`` (``cdk synth``) writes the stage's template."""


def sample_provider(router: RouterConfig) -> tuple[str, str]:
    """A provider slug this config accepts and a callback path for it."""
    for route in router.routes:
        if route.has_placeholder:
            slug = "fitbit" if router.provider_allowed("fitbit") else sorted(router.providers or ["fitbit"])[0]
            return slug, route.path.replace("{provider}", slug)
    route = router.routes[0]
    return str(route.provider), route.path


def mint_link_token(
    audience: str, *, sub: str | None = None, team_id: str | None = None, user_id: str | None = None
) -> str:
    """A Junction-shaped Link Token (``aud``, ``sub``, ``team_id``, ``user_id``), signed with a demo key."""
    import jwt

    now = int(time.time())
    claims = {
        "aud": audience,
        "sub": sub or str(uuid.uuid4()),
        "team_id": team_id or str(uuid.uuid4()),
        "user_id": user_id or str(uuid.uuid4()),
        "iat": now,
        "exp": now + 3600,  # Link Tokens live 60 minutes
    }
    return jwt.encode(claims, DEMO_SIGNING_KEY, algorithm="HS256")


def _expected_fallback(gateway: LocalGateway, front: str) -> str:
    if front in ("edge", "cloudfront_function"):
        return "passed on to the origin (the company stand-in), 200"
    if front == "alb":
        company = "the company function stand-in (the ALB invokes it)" if gateway.invokes else "the company stand-in"
        return f"no JWT-shaped state, so the router rule does not match: default action, {company}, 200"
    fallback = gateway.router.fallback
    return {
        "invoke": "the router invokes the company function stand-in with the HTTP API event (Fallback.invoke), "
        "its 200 page",
        "proxy": "proxied to the company stand-in, its 200 page",
        "redirect": "307 to the company stand-in",
        "reject": "404 (fallback mode reject)",
    }[fallback.mode]


def _company_function_line(gateway: LocalGateway) -> str:
    if gateway.lambda_service is None:
        return "  (make run FALLBACK=invoke: the company's callback as a Lambda function, through Fallback.invoke)"
    return (
        f"  company callback function stand-in (invoke fallback / ALB default) {gateway.router.fallback.function_arn}, "
        f"on the local Lambda Invoke API: {gateway.lambda_service.url}"
    )


def alb_rule_line(rule: AlbRule, company: str) -> str:
    """One listener rule as the banner shows it: priority, name, conditions and where it sends."""
    conditions = [f"path {' or '.join(rule.path_patterns)}"] if rule.path_patterns else []
    conditions += [f"host {' or '.join(rule.host_headers)}"] if rule.host_headers else []
    if rule.http_header is not None:
        conditions.append(f"{rule.http_header[0]}: {' or '.join(rule.http_header[1])}")
    conditions += [f"{key or '*'}={value}" for key, value in rule.query_string]
    target = "alb_handler" if rule.target == "router" else company
    return f"  {rule.priority} {rule.name}: {' and '.join(conditions) or 'any request'} -> {target}"


def banner(gateway: LocalGateway) -> str:
    """What ``make run`` prints: addresses, a sample token and the curl lines to paste."""
    router = gateway.router
    audience = next(iter(router.accepted_base_urls))
    environment = router.accepted_base_urls[audience]
    provider, path = sample_provider(router)
    token = mint_link_token(audience)
    query = f"code=demo-code&scope=activity+heartrate&state={token}"
    own_query = "code=demo-code&state=company-own-state-42"
    lines = [
        f"Junction callback router, stage {gateway.stage.name!r} (shape {gateway.stage.shape}), on 127.0.0.1",
        f"  HTTP API front (payload 2.0 -> http_api_handler):   {gateway.http_api_url}",
        f"  CloudFront front, Lambda@Edge (viewer-request -> viewer_request_handler): {gateway.edge_url}",
        f"  CloudFront front, CloudFront Function (viewer-request -> the generated JavaScript, in Node): "
        f"{gateway.cff_url}",
        f"  ALB front (listener rules -> alb_handler, multi-value): {gateway.alb_url}",
        f"  company callback stand-in (fallback / origin / ALB default): {gateway.company_url}",
        _company_function_line(gateway),
        f"  accepts: {', '.join(sorted(set(router.accepted_base_urls.values())))}",
        *(f"  note: {note}" for note in gateway.notes),
        "",
        f"Sample Link Token ({environment}, aud {audience}; minted with PyJWT, signature not checked):",
        f"  {token}",
        "",
    ]
    company = "the company's function" if gateway.invokes else "the company's service"
    fronts = gateway.fronts
    lines += [
        "Routing read from the synthesized templates:",
        f"  HTTP API routes ({fronts.sources['http_api']}): {', '.join(route.key for route in fronts.http_routes)}",
        f"  CloudFront behaviours, Lambda@Edge ({fronts.sources['edge']}): "
        + ", ".join(
            f"{item.path_pattern} -> {'viewer_request_handler' if item.viewer_request else 'origin'}"
            for item in fronts.behaviours
        ),
        f"  CloudFront behaviours, CloudFront Function ({fronts.sources['cloudfront_function']}): "
        + ", ".join(
            f"{item.path_pattern} -> {'the CloudFront Function' if item.viewer_function else 'origin'}"
            for item in fronts.function_behaviours
        ),
        f"  ALB listener rules ({fronts.sources['alb']}), in priority order:",
        *(alb_rule_line(rule, company) for rule in fronts.alb_rules),
        f"  default -> {company}",
        "",
    ]
    bases = (
        ("HTTP API", "http_api", gateway.http_api_url),
        ("CloudFront (Lambda@Edge)", "edge", gateway.edge_url),
        ("CloudFront Function", "cloudfront_function", gateway.cff_url),
        ("ALB", "alb", gateway.alb_url),
    )
    for front, kind, base in bases:
        lines += [
            f"{front} front, Junction callback -> 307 to {audience}/connect/{provider}?...:",
            f"  curl -i {shlex.quote(f'{base}{path}?{query}')}",
            f"{front} front, the company's own callback (non-Junction state) -> {_expected_fallback(gateway, kind)}:",
            f"  curl -i -H 'Cookie: company_session=abc123' {shlex.quote(f'{base}{path}?{own_query}')}",
            "",
        ]
    company_token = mint_link_token("https://auth.company.example/app")
    through = (
        "invoke fallback hands the ALB event to the company function stand-in"
        if gateway.invokes
        else "proxy fallback back into the ALB, bypass rule, the company stand-in"
    )
    lines += [
        f"ALB front, a company state that looks like a JWT (aud not Junction's) -> router rule, the function's "
        f"{through}, once:",
        f"  curl -i {shlex.quote(f'{gateway.alb_url}{path}?code=demo-code&state={company_token}')}",
        "",
        "Handler log lines (Powertools, JSON), EMF metrics and the CloudFront Function's console.log lines "
        "follow. Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.local_gateway``: serve a stage until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m tools.local_gateway", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--stage", default="sandbox", help="stage name in cdk.json context.stages (default: sandbox)")
    parser.add_argument("--port", type=int, default=3000, help="HTTP API front port (default 3000)")
    parser.add_argument("--edge-port", type=int, default=3001, help="CloudFront Lambda@Edge front port (default 3001)")
    parser.add_argument("--cff-port", type=int, default=3003, help="CloudFront Function front port (default 3003)")
    parser.add_argument("--alb-port", type=int, default=3002, help="ALB front port (default 3002)")
    parser.add_argument("--company-port", type=int, default=0, help="company stand-in port (default: any free)")
    parser.add_argument(
        "--cdk-out",
        type=Path,
        default=DEFAULT_TEMPLATE_DIR,
        help="where cdk synth wrote the stage's template (default cdk.out; make run synthesizes it first). "
        "Without the stage's template there, it is synthesized in-process",
    )
    parser.add_argument("--log-level", default="INFO", help="handler log level (default INFO)")
    parser.add_argument(
        "--fallback",
        choices=FALLBACK_CHOICES,
        default="stage",
        help="the router's fallback for this run: the stage's own (default), proxy to the company stand-in, "
        "or invoke the company function stand-in through a local Lambda Invoke API",
    )
    parser.add_argument(
        "--print-runtime-config",
        action="store_true",
        help="print the stage's generated runtime config (what gets bundled as config.json) and exit",
    )
    args = parser.parse_args(argv)

    from callback_router_app.stages import StageError, load_stage

    try:
        stage = load_stage(args.stage)
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.print_runtime_config:
        sys.stdout.write(stage.runtime_json())
        return 0
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        gateway = start_gateway(
            stage,
            port=args.port,
            edge_port=args.edge_port,
            company_port=args.company_port,
            alb_port=args.alb_port,
            log_level=args.log_level,
            fallback=args.fallback,
            template_dir=args.cdk_out,
            cff_port=args.cff_port,
        )
    except FileNotFoundError as error:  # no node: the CloudFront Function front runs the JavaScript in it
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot listen on 127.0.0.1: {error}", file=sys.stderr)
        return 2
    except ValueError as error:  # a synthesized template the local fronts cannot emulate faithfully
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(banner(gateway), flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        gateway.stop()
    print("local gateway stopped", flush=True)
    return 0
