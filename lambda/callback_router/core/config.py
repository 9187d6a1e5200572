"""The router's configuration: one JSON document, validated with messages that name the key.

The same document is the ``CALLBACK_ROUTER_CONFIG`` environment variable, the bundled
``config.json`` (Lambda@Edge has no environment variables) and, per stage, part of ``cdk.json``,
so a mistake is caught at ``cdk synth`` by exactly the code that would have read it at runtime.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from callback_router.core.environments import (
    JUNCTION_ENVIRONMENTS,
    KNOWN_JUNCTION_BASE_URLS,
    LOOPBACK_HOSTS,
    is_production,
    is_sandbox,
)
from callback_router.core.link_token import DEFAULT_MAX_STATE_LENGTH
from callback_router.core.routes import PROVIDER_PLACEHOLDER, Route, is_valid_slug, route_path_problem

FallbackMode = Literal["invoke", "proxy", "redirect", "reject"]

DEFAULT_SERVICE = "junction-callback-router"
DEFAULT_METRICS_NAMESPACE = "JunctionCallbackRouter"
DEFAULT_ROUTES: tuple[Route, ...] = (Route(path="/oauth_callback/{provider}"),)
DEFAULT_PROXY_TIMEOUT_SECONDS = 10.0
MAX_PROXY_TIMEOUT_SECONDS = 25.0
"""API Gateway gives an integration 29 s; leave room to answer a clean 502 before that."""
MAX_INVOKE_TIMEOUT_SECONDS = 880.0
"""Lambda runs a function 900 s at most; the router needs a few more than the company function.
Which front can wait that long (ALB, Function URL; not API Gateway's 29/30 s) is the construct's check."""
FUNCTION_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:[a-z]{2,4}(?:-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)
"""A Lambda function, version or alias ARN (the qualifier after the name), as Invoke takes it."""
STATE_LENGTH_BOUNDS = (256, 65536)

CONFIG_KEYS = frozenset(
    {
        "service",
        "metrics_namespace",
        "environments",
        "extra_environments",
        "allow_mixed_environments",
        "providers",
        "routes",
        "fallback",
        "max_state_length",
        "teams",
    }
)
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_METRICS_NAMESPACE = re.compile(r"[A-Za-z0-9._/#:-]{1,255}")
TEAM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
"""What may be logged of a token's ``team_id`` claim (Junction uses UUIDs; the claim is untrusted)."""
TEAM_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""A Junction team id in ``teams``: a UUID, in lower case (RFC 4122's output form; compared exactly)."""


class ConfigError(ValueError):
    """A configuration mistake; ``key`` names where it is (``routes[1].path``)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config key '{key}': {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class Fallback:
    """What API Gateway and ALB handlers do with a request that is not a Junction callback."""

    mode: FallbackMode = "reject"
    url: str | None = None
    timeout_seconds: float = DEFAULT_PROXY_TIMEOUT_SECONDS
    function_arn: str | None = None
    """``invoke`` only: the company's function (version or alias) that gets the original event."""


@dataclass(frozen=True)
class RouterConfig:
    """Validated configuration. Build it with :func:`parse_config`."""

    accepted_base_urls: Mapping[str, str]
    """Base URL -> environment name, for every base URL this deployment redirects to."""
    foreign_base_urls: Mapping[str, str]
    """Documented Junction base URLs of environments this deployment does *not* accept."""
    routes: tuple[Route, ...] = DEFAULT_ROUTES
    providers: frozenset[str] | None = None
    fallback: Fallback = field(default_factory=Fallback)
    max_state_length: int = DEFAULT_MAX_STATE_LENGTH
    service: str = DEFAULT_SERVICE
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE
    teams: frozenset[str] | None = None
    """Junction team ids whose Link Tokens are redirected; ``None`` (the default) accepts any team."""

    def team_allowed(self, team: object) -> bool:
        """Whether a token's ``team_id`` claim is acceptable: always without an allowlist."""
        return self.teams is None or (isinstance(team, str) and team in self.teams)

    def provider_allowed(self, provider: str) -> bool:
        """Whether ``provider`` is a valid slug and, with an allowlist, on it."""
        return is_valid_slug(provider) and (self.providers is None or provider in self.providers)


def check_target_url(key: str, url: Any, *, allow_placeholder: bool = False) -> str:
    """Validate an absolute target URL: ``https://``, or ``http://`` to loopback only.

    No user info, query or fragment: the router appends its own ``?query``.
    """
    if not isinstance(url, str) or not url:
        raise ConfigError(key, "must be a non-empty string URL")
    if any(ord(char) <= 0x20 or ord(char) >= 0x7F for char in url):
        raise ConfigError(key, f"{url!r} contains spaces, controls or non-ASCII characters")
    text = url.replace(PROVIDER_PLACEHOLDER, "provider") if allow_placeholder else url
    if "{" in text or "}" in text:
        raise ConfigError(key, f"{url!r}: the only placeholder allowed is {{provider}}")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError as error:
        raise ConfigError(key, f"{url!r} is not a valid URL ({error})") from None
    if allow_placeholder and PROVIDER_PLACEHOLDER in urlsplit(url).netloc:
        raise ConfigError(key, f"{url!r}: {{provider}} may only stand in the path, never in the host")
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(key, f"{url!r} must be an absolute https:// URL")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ConfigError(key, f"{url!r} must use https:// (http:// is only allowed to 127.0.0.1, localhost, ::1)")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(key, f"{url!r} must not contain user info")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ConfigError(key, f"{url!r} must not contain a query or fragment")
    return url


def _is_object(value: Any) -> bool:
    # A JSON object has text keys only; a Python caller (the constructs) can pass any key, and the
    # checks below match and sort keys as text.
    return isinstance(value, dict) and all(isinstance(key, str) for key in value)


def _string_list(key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        raise ConfigError(key, f"must be a list of strings, e.g. [{value!r}], not a string")
    if not isinstance(value, list):
        raise ConfigError(key, f"must be a list of strings, not {type(value).__name__}")
    if not all(isinstance(item, str) for item in value):
        raise ConfigError(key, "must be a list of strings")
    duplicates = sorted({item for item in value if value.count(item) > 1})
    if duplicates:
        raise ConfigError(key, f"lists {', '.join(duplicates)} more than once")
    return value


def _environments(data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    names = _string_list("environments", data.get("environments", []))
    for index, name in enumerate(names):
        if name not in JUNCTION_ENVIRONMENTS:
            known = ", ".join(JUNCTION_ENVIRONMENTS)
            raise ConfigError(f"environments[{index}]", f"unknown environment {name!r}; known: {known}")
    extra = data.get("extra_environments", {})
    if not _is_object(extra):
        raise ConfigError("extra_environments", "must be a mapping (an object) of name -> Link API base URL")
    accepted: dict[str, str] = {}
    for name in names:
        accepted.update(dict.fromkeys(JUNCTION_ENVIRONMENTS[name], name))
    for name, url in extra.items():
        key = f"extra_environments.{name}"
        if not _NAME.fullmatch(name):
            raise ConfigError(key, "name must match ^[a-z0-9][a-z0-9_-]{0,63}$")
        if name in JUNCTION_ENVIRONMENTS:
            raise ConfigError(key, f"{name!r} is a Junction environment: list it in 'environments'")
        check_target_url(key, url)
        if url.endswith("/"):
            raise ConfigError(key, f"{url!r} must not end with '/'")
        if url in KNOWN_JUNCTION_BASE_URLS:
            raise ConfigError(
                key, f"{url!r} is Junction's {KNOWN_JUNCTION_BASE_URLS[url]}: list that in 'environments'"
            )
        if url in accepted:
            raise ConfigError(key, f"{url!r} is already accepted as {accepted[url]!r}")
        accepted[url] = name
    if not accepted:
        raise ConfigError("environments", "accept at least one environment (or extra_environments)")
    mixed = data.get("allow_mixed_environments", False)
    if not isinstance(mixed, bool):
        raise ConfigError("allow_mixed_environments", "must be true or false")
    if not mixed and any(map(is_production, names)) and any(map(is_sandbox, names)):
        raise ConfigError(
            "environments",
            f"mixes production and sandbox ({', '.join(names)}); Junction says never to forward "
            "sandbox traffic to production or the reverse. Set allow_mixed_environments: true "
            "if this deployment really serves both.",
        )
    foreign = {url: env for url, env in KNOWN_JUNCTION_BASE_URLS.items() if url not in accepted}
    return accepted, foreign


def _providers(data: Mapping[str, Any]) -> frozenset[str] | None:
    if "providers" not in data or data["providers"] is None:
        return None
    providers = _string_list("providers", data["providers"])
    if not providers:
        raise ConfigError("providers", "must not be empty (leave it out to allow every provider)")
    for index, slug in enumerate(providers):
        if not is_valid_slug(slug):
            raise ConfigError(f"providers[{index}]", f"{slug!r} is not a provider slug (^[a-z0-9][a-z0-9_]{{0,63}}$)")
    return frozenset(providers)


def _routes(data: Mapping[str, Any], providers: frozenset[str] | None) -> tuple[Route, ...]:
    raw = data.get("routes")
    if raw is None:
        return DEFAULT_ROUTES
    if not isinstance(raw, list) or not raw:
        raise ConfigError("routes", "must be a non-empty list of {'path': ...} objects")
    routes: list[Route] = []
    for index, item in enumerate(raw):
        key = f"routes[{index}]"
        if not _is_object(item) or not isinstance(item.get("path"), str):
            raise ConfigError(key, "must be an object with a string 'path'")
        unknown = set(item) - {"path", "provider"}
        if unknown:
            raise ConfigError(f"{key}.{sorted(unknown)[0]}", "unknown key (allowed: path, provider)")
        path, provider = item["path"], item.get("provider")
        problem = route_path_problem(path)
        if problem is not None:
            raise ConfigError(f"{key}.path", problem)
        if PROVIDER_PLACEHOLDER in path and provider is not None:
            raise ConfigError(f"{key}.provider", "a path with {provider} takes the provider from the path")
        if PROVIDER_PLACEHOLDER not in path:
            if provider is None:
                raise ConfigError(
                    f"{key}.provider",
                    f"path {path!r} has no {{provider}} segment, so the route must name its provider: "
                    f'write {{"path": {path!r}, "provider": "fitbit"}} (your provider\'s slug), or put '
                    "'{provider}' where the provider's name stands in the path",
                )
            if not isinstance(provider, str) or not is_valid_slug(provider):
                raise ConfigError(f"{key}.provider", f"{provider!r} is not a provider slug")
            if providers is not None and provider not in providers:
                raise ConfigError(f"{key}.provider", f"{provider!r} is not in 'providers'")
        if any(route.path == path for route in routes):
            raise ConfigError(f"{key}.path", f"{path!r} is listed twice")
        routes.append(Route(path=path, provider=provider))
    return tuple(routes)


def _timeout(raw: Mapping[str, Any], maximum: float, why: str) -> float:
    timeout = raw.get("timeout_seconds", DEFAULT_PROXY_TIMEOUT_SECONDS)
    # Only a float can be NaN or infinite; math.isfinite would raise OverflowError on a huge int.
    finite = isinstance(timeout, int) or (isinstance(timeout, float) and math.isfinite(timeout))
    if isinstance(timeout, bool) or not finite:
        raise ConfigError("fallback.timeout_seconds", "must be a number of seconds")
    if not 0 < timeout <= maximum:
        raise ConfigError("fallback.timeout_seconds", f"must be above 0 and at most {maximum:g} ({why})")
    return float(timeout)


def _function_arn(value: Any) -> str:
    if not isinstance(value, str) or not FUNCTION_ARN.fullmatch(value):
        raise ConfigError(
            "fallback.function_arn",
            f"{value!r} is not a Lambda function ARN: arn:aws:lambda:<region>:<account>:function:<name>[:<alias or "
            "version>]",
        )
    return value


def _fallback(data: Mapping[str, Any]) -> Fallback:
    raw = data.get("fallback", {"mode": "reject"})
    if not _is_object(raw):
        raise ConfigError("fallback", "must be an object with a 'mode'")
    mode = raw.get("mode")
    if mode not in ("invoke", "proxy", "redirect", "reject"):
        what = "is missing" if mode is None else f"is {mode!r}"
        raise ConfigError(
            "fallback.mode",
            f"{what}; say what happens to callbacks that are not Junction's: "
            '"invoke" (hand the event to "function_arn" and return its result), '
            '"proxy" (replay them to "url" and return its answer), "redirect" (307 to "url") or '
            '"reject" (404), e.g. {"mode": "proxy", "url": "https://auth.example.com/oauth_callback/{provider}"}',
        )
    allowed = {
        "reject": {"mode"},
        "redirect": {"mode", "url"},
        "proxy": {"mode", "url", "timeout_seconds"},
        "invoke": {"mode", "function_arn", "timeout_seconds"},
    }[mode]
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"fallback.{unknown[0]}", f"not used with mode {mode!r}")
    if mode == "reject":
        return Fallback(mode="reject")
    if mode == "invoke":
        arn = _function_arn(raw.get("function_arn"))
        timeout = _timeout(raw, MAX_INVOKE_TIMEOUT_SECONDS, "Lambda stops every function at 900 s")
        return Fallback(mode="invoke", function_arn=arn, timeout_seconds=timeout)
    url = check_target_url("fallback.url", raw.get("url"), allow_placeholder=True)
    timeout = _timeout(raw, MAX_PROXY_TIMEOUT_SECONDS, "API Gateway stops waiting at 29 s")
    return Fallback(mode=mode, url=url, timeout_seconds=timeout)


def _teams(data: Mapping[str, Any]) -> frozenset[str] | None:
    if "teams" not in data or data["teams"] is None:
        return None
    teams = _string_list("teams", data["teams"])
    if not teams:
        raise ConfigError("teams", "must not be empty (leave it out to accept Link Tokens of any Junction team)")
    for index, team in enumerate(teams):
        if TEAM_UUID.fullmatch(team.lower()) and team != team.lower():
            # team_id is compared exactly: an upper-case copy would never match and no token would redirect.
            raise ConfigError(
                f"teams[{index}]",
                f"write the team id in lower case, as UUIDs are written (RFC 4122): {team.lower()!r}",
            )
        if not TEAM_UUID.fullmatch(team):
            raise ConfigError(
                f"teams[{index}]",
                f"{team!r} is not a Junction team id: a team id is a UUID such as "
                "'0c8b9e3a-1111-4222-8333-444455556666' (the Junction dashboard shows it; "
                "`python -m tools.explain <token>` shows a token's team_id)",
            )
    return frozenset(teams)


def _bounded_int(data: Mapping[str, Any], key: str, default: int, bounds: tuple[int, int]) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        raise ConfigError(key, f"must be a whole number from {bounds[0]} to {bounds[1]}")
    return value


def _text(data: Mapping[str, Any], key: str, default: str, pattern: re.Pattern[str]) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ConfigError(key, f"{value!r} must match {pattern.pattern}")
    return value


def parse_config(data: Any) -> RouterConfig:
    """Validate a configuration document and return a :class:`RouterConfig`.

    Raises:
        ConfigError: naming the first key that is wrong and why.
    """
    if not _is_object(data):
        raise ConfigError("(root)", "must be a JSON object (with text keys)")
    unknown = sorted(set(data) - CONFIG_KEYS)
    if unknown:
        raise ConfigError(unknown[0], f"unknown key; known keys: {', '.join(sorted(CONFIG_KEYS))}")
    accepted, foreign = _environments(data)
    providers = _providers(data)
    return RouterConfig(
        accepted_base_urls=accepted,
        foreign_base_urls=foreign,
        routes=_routes(data, providers),
        providers=providers,
        fallback=_fallback(data),
        max_state_length=_bounded_int(data, "max_state_length", DEFAULT_MAX_STATE_LENGTH, STATE_LENGTH_BOUNDS),
        service=_text(data, "service", DEFAULT_SERVICE, re.compile(r"[A-Za-z0-9._-]{1,128}")),
        metrics_namespace=_text(data, "metrics_namespace", DEFAULT_METRICS_NAMESPACE, _METRICS_NAMESPACE),
        teams=_teams(data),
    )
