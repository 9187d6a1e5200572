"""The runtime config each local front's function runs with: the stage's, its fallback made local.

The stage's fallback host is not reachable from here: :func:`local_runtime_config` points the HTTP
API and CloudFront fronts' function at the company stand-in (or switches the mode with
``--fallback``), :func:`alb_runtime_config` gives the ALB front's function a proxy fallback back
into the ALB front itself, as an ALB deployment runs it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from callback_router.core.marker import FALLBACK_MARKER_HEADER, FALLBACK_MARKER_VALUE
from callback_router.core.routes import PROVIDER_PLACEHOLDER

if TYPE_CHECKING:
    from callback_router_app.stages import Stage

FALLBACK_CHOICES = ("stage", "proxy", "invoke")
"""``--fallback``: the stage's own fallback, or switch it locally to ``proxy`` or ``invoke``."""
LOCAL_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:company-callback-stand-in"
"""The ``invoke`` fallback's function when the stage names none (``--fallback invoke`` on a proxy stage)."""


def _fallback_path(runtime: dict[str, Any]) -> str:
    """The path of the runtime config's fallback URL, or of its first route when it has none."""
    fallback = runtime.get("fallback")
    original = fallback.get("url") if isinstance(fallback, dict) else None
    if original:
        return urlsplit(str(original)).path
    routes = [route["path"] for route in runtime.get("routes") or [{"path": "/oauth_callback/{provider}"}]]
    return str(next((route for route in routes if PROVIDER_PLACEHOLDER in route), routes[0]))


def alb_runtime_config(stage: Stage, alb_url: str, runtime: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    """The runtime config as an ALB deployment runs it, and a note for the banner.

    ``runtime`` is the HTTP API front's (default: the stage's). An ``invoke`` fallback is kept: the
    router hands the company's function the ALB event itself. Any other becomes ``proxy`` to the
    ALB itself: the ALB front plus the path of the fallback URL (or of the first route when there
    is none), ``timeout_seconds`` kept.
    """
    runtime = json.loads(stage.runtime_json() if runtime is None else json.dumps(runtime))
    fallback = runtime.get("fallback")
    if isinstance(fallback, dict) and fallback.get("mode") == "invoke":
        return runtime, (
            f"ALB front: the function's fallback is invoke {fallback['function_arn']} too, with the ALB event "
            "(multi-value headers); the listener's default action invokes that function directly"
        )
    local: dict[str, Any] = {"mode": "proxy", "url": f"{alb_url}{_fallback_path(runtime)}"}
    if isinstance(fallback, dict) and "timeout_seconds" in fallback:
        local["timeout_seconds"] = fallback["timeout_seconds"]
    runtime["fallback"] = local
    return runtime, (
        f"ALB front: the function's fallback is proxy to the ALB front itself, {local['url']}; the replayed "
        f"request carries {FALLBACK_MARKER_HEADER}: {FALLBACK_MARKER_VALUE}, so the bypass rule gives it "
        "to the company stand-in: a JWT-shaped company state reaches the company once, no loop"
    )


def local_runtime_config(stage: Stage, company_url: str, fallback: str = "stage") -> tuple[dict[str, Any], str | None]:
    """The stage's runtime config with its fallback pointed at the local company stand-ins.

    Returns the document and a sentence saying what was changed (``None`` if nothing).

    * ``fallback="stage"``: a ``proxy`` or ``redirect`` fallback keeps its mode and URL path; only
      scheme and host change, to the company stand-in's. An ``invoke`` fallback is kept as is: the
      gateway registers the company function stand-in under its ARN. Edge stages have no fallback
      (CloudFront passes on to the origin), so the HTTP API front gets a proxy fallback to the
      stand-in, on the path of the first ``{provider}`` route.
    * ``fallback="proxy"``: proxy to the company stand-in, on the path of the stage's fallback URL
      (or of its first route).
    * ``fallback="invoke"``: invoke the stage's ``function_arn``, or :data:`LOCAL_FUNCTION_ARN`.

    A switched mode takes the default ``timeout_seconds``; a kept one keeps the stage's.
    """
    if fallback not in FALLBACK_CHOICES:
        raise ValueError(f"fallback must be one of {', '.join(FALLBACK_CHOICES)}, not {fallback!r}")
    runtime = json.loads(stage.runtime_json())
    original = runtime.get("fallback")
    mode = original.get("mode") if isinstance(original, dict) else None
    wanted = fallback if fallback != "stage" else (mode or "proxy")  # no mode: an edge stage
    if wanted == "invoke":
        if mode == "invoke":
            return runtime, (
                f"fallback invoke {original['function_arn']}: the company function stand-in is registered under "
                "that ARN on the local Lambda Invoke API"
            )
        runtime["fallback"] = {"mode": "invoke", "function_arn": LOCAL_FUNCTION_ARN}
        return runtime, (
            f"fallback {mode or 'none'} switched to invoke for this run (--fallback invoke): non-Junction "
            f"callbacks go to the company function stand-in, {LOCAL_FUNCTION_ARN}, on the local Lambda Invoke API"
        )
    if wanted == "proxy" and mode != "proxy":
        runtime["fallback"] = {"mode": "proxy", "url": f"{company_url}{_fallback_path(runtime)}"}
        why = f"stage {stage.name!r} is CloudFront-only (no fallback)" if mode is None else f"fallback {mode}"
        return runtime, (
            f"{why}; the HTTP API front proxies non-Junction callbacks to the local company stand-in: "
            f"{runtime['fallback']['url']}"
        )
    if mode not in ("proxy", "redirect") or not original.get("url"):
        return runtime, None
    local = urlsplit(company_url)
    url = str(original["url"])
    original["url"] = urlunsplit((local.scheme, local.netloc, urlsplit(url).path, "", ""))
    return runtime, (
        f"fallback {mode} {url} is not reachable from here; using the local company stand-in instead: {original['url']}"
    )
