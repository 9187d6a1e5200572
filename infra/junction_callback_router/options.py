"""The router's runtime options as construct props: typed values in, one validated config document out.

:class:`RouterOptions` holds them once (every front takes it); :class:`Fallback` and ``Route`` are
the typed values of its ``fallback`` and ``routes``. The document is exactly what the function
reads at a cold start (``config.json`` or ``CALLBACK_ROUTER_CONFIG``), and it is validated here at
synth time by the very ``callback_router.core.config.parse_config`` the function runs, so a
mistake stops ``cdk synth`` with the prop's name instead of failing open at 3 a.m.

CDK tokens (values only known at deploy time, such as ``f"https://{alb.load_balancer_dns_name}/cb"``)
are accepted where AWS would accept them: each token is replaced by a neutral stand-in for the
validation, the literal parts are still checked, and the document then travels in the function's
environment (CloudFormation resolves the tokens) instead of the bundle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from aws_cdk import Stack, Token
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from callback_router.core.config import (
    DEFAULT_PROXY_TIMEOUT_SECONDS,
    ConfigError,
    RouterConfig,
    parse_config,
)
from callback_router.core.routes import Route
from junction_callback_router.stand_ins import TOKEN_ARN_STAND_IN, TOKEN_STAND_IN

__all__ = ["ConfigDocument", "Fallback", "Route", "RouterConfigError", "RouterOptions"]

_TOKEN = re.compile(r"\$\{Token\[[^\]]+\]\}")
"""How an unresolved CDK string token looks inside a Python string (``Token.as_string``)."""
TOKEN_KEYS = ("fallback.url", "fallback.function_arn", "extra_environments.")
"""Where a deploy-time value may stand: URLs, which AWS resolves for us; everything else decides."""
DEFAULT_INVOKE_TIMEOUT_SECONDS = 25.0
"""How long the router waits for a company function whose own timeout it cannot see (imported):
the longest that still lets it answer its own 502 within API Gateway's 29 s."""


class RouterConfigError(ValueError):
    """A construct prop that the router cannot run with; the message names the construct and the prop."""

    def __init__(self, construct: str, key: str, problem: str) -> None:
        super().__init__(f"{construct}: {key}: {problem}")
        self.construct, self.key, self.problem = construct, key, problem


@dataclass(frozen=True)
class Fallback:
    """What happens to a callback that is not Junction's (API Gateway, ALB and Function URL fronts).

    Build one with :meth:`invoke`, :meth:`proxy`, :meth:`redirect` or :meth:`reject`. Lambda@Edge
    has no fallback: CloudFront passes such requests on to the origin unchanged.
    """

    mode: str
    url: str | None = None
    timeout_seconds: float | None = None
    function: Any = None
    """``invoke`` only: the company's ``lambda_.IFunction`` (checked by the construct, which can
    name the prop in its error)."""

    @classmethod
    def invoke(cls, function: lambda_.IFunction, *, timeout_seconds: float | None = None) -> Fallback:
        """Hand every callback that is not Junction's to the company's own Lambda ``function``
        (a function, alias or version of this app, or ``Function.from_function_arn``) with the
        front's original event, and return its result as is.

        For an app that already has a handler on the callback path: pass it here and remove its
        route. The router may invoke exactly this function (and this qualifier), nothing else.
        ``timeout_seconds`` defaults to the function's own timeout when it is a ``Function`` of
        this app (or an alias or version of one), else to 25 s; the router's timeout is set above it.
        """
        return cls("invoke", None, None if timeout_seconds is None else float(timeout_seconds), function)

    def invoke_timeout_seconds(self) -> float:
        """The invoke's timeout: as given, else the company function's own, else 25 s."""
        if self.timeout_seconds is not None:
            return self.timeout_seconds
        function = self.function
        if isinstance(function, lambda_.Alias):
            function = function.version
        if isinstance(function, lambda_.Version):
            function = function.lambda_
        timeout = getattr(function, "timeout", None) if isinstance(function, lambda_.Function) else None
        if timeout is None:
            return DEFAULT_INVOKE_TIMEOUT_SECONDS
        return float(timeout.to_seconds())

    @classmethod
    def proxy(cls, url: str, *, timeout_seconds: float = DEFAULT_PROXY_TIMEOUT_SECONDS) -> Fallback:
        """Replay the request to the company's callback ``url`` and return its answer unchanged.

        ``url`` is ``https://`` (``http://`` to loopback only) and may contain ``{provider}`` in its
        path, filled with the validated provider slug. The function's timeout is set above
        ``timeout_seconds`` so that a slow upstream still gets a clean 502.
        """
        return cls("proxy", url, float(timeout_seconds))

    @classmethod
    def redirect(cls, url: str) -> Fallback:
        """Answer ``307`` to the company's callback ``url`` with the original query string."""
        return cls("redirect", url)

    @classmethod
    def reject(cls) -> Fallback:
        """Answer ``404``: only for paths the company does not serve itself (synth warns otherwise)."""
        return cls("reject")

    def document(self) -> dict[str, Any]:
        """The ``fallback`` object of the config document."""
        doc: dict[str, Any] = {"mode": self.mode}
        if self.mode == "invoke":
            return doc | {"function_arn": self.function.function_arn, "timeout_seconds": self.invoke_timeout_seconds()}
        if self.url is not None:
            doc["url"] = self.url
        if self.timeout_seconds is not None and self.mode == "proxy":
            doc["timeout_seconds"] = self.timeout_seconds
        return doc


def _route_document(route: str | Route) -> dict[str, Any]:
    if isinstance(route, str):
        return {"path": route}
    if isinstance(route, Route):
        return {"path": route.path} | ({"provider": route.provider} if route.provider is not None else {})
    return {"path": route}  # anything else: parse_config names it


@dataclass(frozen=True)
class ConfigDocument:
    """A validated config document and what it means."""

    document: dict[str, Any]
    """As written (tokens included): what the function reads."""
    config: RouterConfig
    """The parsed meaning, with tokens replaced by stand-ins."""
    has_tokens: bool
    """Whether some value is only known at deploy time."""
    literal: dict[str, Any]
    """The document with each token replaced by a neutral stand-in (what was validated)."""

    def to_json(self, scope: Construct) -> str:
        """The document as JSON text; tokens become CloudFormation expressions."""
        if self.has_tokens:
            return Stack.of(scope).to_json_string(self.document)
        return json.dumps(self.document, indent=2, sort_keys=True) + "\n"


def _stand_in(text: str) -> str:
    # A token at the very start may stand for a whole origin (``api.api_endpoint`` is
    # "https://id.execute-api..."), anywhere else for a host or a path segment.
    text = _TOKEN.sub(f"https://{TOKEN_STAND_IN}", text, count=1) if _TOKEN.match(text) else text
    return _TOKEN.sub(TOKEN_STAND_IN, text)


def _without_tokens(value: Any) -> Any:
    if isinstance(value, str):
        return _stand_in(value) if Token.is_unresolved(value) else value
    if isinstance(value, list | tuple):
        return [_without_tokens(item) for item in value]
    if isinstance(value, dict):
        return {_without_tokens(key): _without_tokens(item) for key, item in value.items()}
    if isinstance(value, int | float) and Token.is_unresolved(value):
        raise ConfigError("(value)", "a deploy-time number is not supported here; use a literal")
    return value


def token_key(value: Any, key: str = "") -> str | None:
    """The first key (``fallback.url``) whose value is only known at deploy time, else ``None``."""
    if isinstance(value, str | int | float) and not isinstance(value, bool) and Token.is_unresolved(value):
        return key or "(value)"
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = token_key(item, f"{key}[{index}]")
            if found:
                return found
    if isinstance(value, dict):
        for name, item in value.items():
            found = token_key(item, f"{key}.{name}" if key else str(name))
            if found:
                return found
    return None


def _listed(value: Any) -> Any:
    """A sequence prop as a JSON list; anything else as given, for the parser to name."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return value


@dataclass(frozen=True)
class RouterOptions:
    """The router's runtime settings, held once: what every router construct turns into the function's config.

    Each field is a key of the config document that the function reads at a cold start (README,
    "Configuration"), and is validated by the function's own parser
    (``callback_router.core.config.parse_config``), never by the constructs. ``CallbackRouter``
    and ``EdgeCallbackRouter`` build one from their keyword props, or take one with
    ``from_options``. A new runtime setting is a field here and a key in ``parse_config``.
    """

    environments: Sequence[str]
    """Junction environments whose Link Tokens are redirected (``sandbox-us``, ``production-eu``, ...)."""
    routes: Sequence[str | Route] | None = None
    """Callback paths (default ``["/oauth_callback/{provider}"]``)."""
    providers: Sequence[str] | None = None
    """Allowlist of provider slugs (default: every valid slug)."""
    extra_environments: Mapping[str, str] | None = None
    """More Link API base URLs by name."""
    allow_mixed_environments: bool = False
    """Accept sandbox and production in one deployment."""
    teams: Sequence[str] | None = None
    """Allowlist of Junction team ids (default: any team)."""
    max_state_length: int | None = None
    """Longest ``state`` parsed (default 4096)."""
    service: str | None = None
    """Log and metric service name (default ``junction-callback-router``)."""
    metrics_namespace: str | None = None
    """CloudWatch namespace (default ``JunctionCallbackRouter``)."""
    fallback: Fallback | None = None
    """What happens to callbacks that are not Junction's (regional fronts only)."""

    def keywords(self) -> dict[str, Any]:
        """Every setting by name: the router constructs' keyword props of the same names."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    def document(self, construct: str) -> dict[str, Any]:
        """The config document as the function reads it (tokens included; unset settings left out).

        Raises:
            RouterConfigError: a value that is no config value at all (a fallback that is not a
                :class:`Fallback`, an invoke fallback without a Lambda function).
        """
        fallback = self.fallback
        if fallback is not None and not isinstance(fallback, Fallback):
            raise RouterConfigError(
                construct,
                "fallback",
                "must be Fallback.proxy(url), Fallback.redirect(url), Fallback.reject() or Fallback.invoke(function), "
                f"not {fallback!r}",
            )
        if fallback is not None and fallback.mode == "invoke" and not is_function(fallback.function):
            raise RouterConfigError(
                construct,
                "fallback",
                "Fallback.invoke(function) takes the company's Lambda function (aws_lambda.Function, Alias, Version "
                f"or Function.from_function_arn(...)), not {type(fallback.function).__name__}",
            )
        routes, extra, mixed = self.routes, self.extra_environments, self.allow_mixed_environments
        document: dict[str, Any] = {"environments": _listed(self.environments)}
        optional: dict[str, Any] = {
            "routes": [_route_document(route) for route in routes] if isinstance(routes, list | tuple) else routes,
            "providers": _listed(self.providers),
            "fallback": fallback.document() if fallback is not None else None,
            "extra_environments": dict(extra) if isinstance(extra, Mapping) else extra,
            # False is the parser's default: left out, as the README's examples write it.
            "allow_mixed_environments": None if mixed is False else mixed,
            "teams": _listed(self.teams),
            "max_state_length": self.max_state_length,
            "service": self.service,
            "metrics_namespace": self.metrics_namespace,
        }
        document.update({name: value for name, value in optional.items() if value is not None})
        return document

    def validate(self, construct: str, *, tokens_allowed: bool = True) -> ConfigDocument:
        """The validated config document, with deploy-time values (CDK tokens) where AWS resolves them.

        Raises:
            RouterConfigError: naming ``construct`` and the prop (``environments[0]: unknown environment``).
        """
        document = self.document(construct)
        key = token_key(document)
        if key is not None and not tokens_allowed:
            raise RouterConfigError(
                construct,
                key,
                "a value only known at deploy time (a CDK token) cannot be used here: this front has no environment "
                "variables (Lambda@Edge), so the config is bundled at synth. Use a literal value.",
            )
        if key is not None and not key.startswith(TOKEN_KEYS):
            raise RouterConfigError(
                construct,
                key,
                "a value only known at deploy time (a CDK token) is not supported here; only the fallback URL and "
                "extra_environments URLs may be. Use a literal value.",
            )
        return parse_document(construct, document)


def is_function(value: object) -> bool:
    """Whether ``value`` is a Lambda function construct (``IFunction`` is a jsii interface, which
    ``isinstance`` cannot check: what the router needs of it is its ARN)."""
    return isinstance(value, lambda_.FunctionBase) or (
        not isinstance(value, str | bytes) and hasattr(value, "function_arn") and hasattr(value, "grant_invoke")
    )


def parse_document(construct: str, document: dict[str, Any]) -> ConfigDocument:
    """Validate a config document (tokens allowed in strings) with the function's own parser.

    Raises:
        RouterConfigError: naming ``construct`` and the key at fault.
    """
    literal = _without_tokens(document)
    fallback = document.get("fallback")
    if isinstance(fallback, dict) and Token.is_unresolved(fallback.get("function_arn")):
        literal["fallback"]["function_arn"] = TOKEN_ARN_STAND_IN  # checked at deploy by CloudFormation
    try:
        config = parse_config(literal)
    except ConfigError as error:
        raise RouterConfigError(construct, error.key, error.problem) from None
    return ConfigDocument(document=document, config=config, has_tokens=token_key(document) is not None, literal=literal)
