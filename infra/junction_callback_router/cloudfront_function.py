"""The router as CloudFront Function code: one JavaScript template, the configuration baked in.

``cloudfront_function.js`` (shipped beside this module) is the Python core's decision written
once in JavaScript for the CloudFront Functions runtime 2.0; :func:`function_code` fills in a
:class:`~callback_router.core.config.RouterConfig` as one JSON literal. No KeyValueStore: the
configuration is known at synth, and a constant costs no lookup on the login path.

The output is deterministic (sorted keys, no timestamps), so an unchanged configuration never
republishes the function. CloudFront refuses code over 10 KB (CloudFront developer guide,
"Quotas on CloudFront Functions"): :func:`code_problem` says so in words, the construct refuses it
at synth, and ``tests/infra/test_cloudfront_function.py`` measures the largest sensible
configuration against the limit.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from callback_router.core.config import TEAM_ID, RouterConfig
from callback_router.core.decision import REDIRECT_METHODS
from callback_router.core.routes import PROVIDER_PLACEHOLDER, PROVIDER_SLUG
from callback_router.core.texts import INVALID_PROVIDER_TEXT, NO_STORE_HEADERS
from callback_router.observability import _WARNING_OUTCOMES

MAX_CODE_BYTES = 10_240
"""CloudFront Functions: "Maximum size of a function: 10 KB" (CloudFront developer guide, Quotas)."""
TEMPLATE = "cloudfront_function.js"
_CONFIG_SLOT = "__CONFIG__"


def _routes(config: RouterConfig) -> list[list[str]]:
    # [path, provider] for a fixed route; [prefix, "", suffix] around the {provider} segment.
    routes: list[list[str]] = []
    for route in config.routes:
        if route.has_placeholder:
            head, _, tail = route.path.partition(PROVIDER_PLACEHOLDER)
            routes.append([head, "", tail])
        else:
            routes.append([route.path, route.provider or ""])
    return routes


def constants(config: RouterConfig) -> dict[str, Any]:
    """What the JavaScript reads from ``C``: the configuration and the shared answer texts."""
    return {
        "accepted": dict(sorted(config.accepted_base_urls.items())),
        "foreign": dict(sorted(config.foreign_base_urls.items())),
        "routes": _routes(config),
        "providers": sorted(config.providers) if config.providers is not None else None,
        "teams": sorted(config.teams) if config.teams is not None else None,
        "maxState": config.max_state_length,
        "service": config.service,
        "methods": sorted(REDIRECT_METHODS),
        "slug": PROVIDER_SLUG.pattern,
        "teamId": TEAM_ID.pattern,
        "warning": sorted(outcome.value for outcome in _WARNING_OUTCOMES),
        "answerHeaders": dict(NO_STORE_HEADERS),
        "invalidProviderText": INVALID_PROVIDER_TEXT,
    }


def function_code(config: RouterConfig) -> str:
    """The CloudFront Function's JavaScript for ``config`` (runtime ``cloudfront-js-2.0``)."""
    template = minify(files("junction_callback_router").joinpath(TEMPLATE).read_text(encoding="utf-8"))
    # ensure_ascii: the literal stays ASCII whatever a service name or URL holds; "</" cannot
    # matter (no HTML), and JSON is valid JavaScript for every value json.dumps writes.
    literal = json.dumps(constants(config), ensure_ascii=True, separators=(",", ":"))
    return template.replace(_CONFIG_SLOT, literal, 1)


def minify(source: str) -> str:
    """``source`` without comment lines, indentation and blank lines: the readable template would
    not fit CloudFront's 10 KB with a real configuration. Safe for the template because no string
    or regular expression literal in it spans lines or starts a line with ``//``."""
    lines = (line.strip() for line in source.splitlines())
    return "".join(f"{line}\n" for line in lines if line and not line.startswith("//"))


def code_size(code: str) -> int:
    """The size CloudFront counts: the code's bytes in UTF-8."""
    return len(code.encode("utf-8"))


def code_problem(code: str) -> str | None:
    """Why CloudFront would refuse ``code``, in words with what to do; ``None`` when it fits."""
    size = code_size(code)
    if size <= MAX_CODE_BYTES:
        return None
    return (
        f"the generated CloudFront Function is {size} bytes, over CloudFront's {MAX_CODE_BYTES}-byte limit: "
        "list fewer teams, providers, routes or extra_environments, or use EdgeCallbackRouter (Lambda@Edge)"
    )
