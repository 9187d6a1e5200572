"""Does the fallback URL lead back to the API the router is attached to? Decided at synth.

API Gateway does not route a URL's whole path: on the execute-api host a REST API's path starts
with the stage (``/prod/oauth_callback/fitbit``), an HTTP API's with a named stage when it has one
(else the ``$default`` stage serves the whole path), and a custom domain strips its base path
(``https://auth.company.com/v1/...`` with the base path ``v1``). When what remains is one of the
router's callback paths, every callback that is not Junction's comes back to the router.

Certain (the fallback is refused) when the URL names this very API: its execute-api host with
the API's literal id, a deploy-time URL built from the API itself (``http_api.api_endpoint``, a
host built from ``rest_api.rest_api_id``; recognised by the CloudFormation reference it resolves
to), or a custom domain of this app mapped to it. Possible (a warning) when the host is an execute-api host whose id is
only known at deploy time, or when the stage is not visible here. Custom domains and stages of
imported APIs are not visible at synth: docs/DEPLOY.md says how to check them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jsii
from aws_cdk import Annotations, CfnElement, Stack, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from constructs import Construct, IValidation

from callback_router.core.routes import PROVIDER_PLACEHOLDER, Route, match_routes
from junction_callback_router.cfn import cfn_references
from junction_callback_router.options import ConfigDocument
from junction_callback_router.route_conflicts import Conflict
from junction_callback_router.stand_ins import TOKEN_STAND_IN

EXECUTE_API_HOST = re.compile(r"([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?")
"""``{api-id}.execute-api.{region}.amazonaws.com`` (``.com.cn`` in the China regions)."""
FALLBACK_LOOP_WARNING = "junction-callback-router:fallback-may-loop"


def loop_effect(mode: str) -> str:
    """What a loop does to the company's own callbacks, for ``redirect`` and ``proxy``."""
    if mode == "redirect":
        return "redirected back to the router forever (the browser gives up on a redirect loop)"
    return "replayed to the router once and answered 502 (every company login fails)"


@dataclass(frozen=True)
class Loop:
    """The fallback URL, as the attached API would route it."""

    served_as: str
    """The path API Gateway matches against its routes: one of the router's callback paths."""
    how: str
    """Why the URL reaches this API, in words."""
    certain: bool


@dataclass(frozen=True)
class AttachedApi:
    """What the loop check needs to know of the API the router is attached to."""

    api: object
    """The ``IHttpApi`` or ``IRestApi``."""
    api_id: str
    """Its id: a literal for an imported API, a token for an API of this app."""
    rest: bool
    scope: Construct
    """The router: its app holds what the check can see (stages, custom domains)."""


def api_loops(attached: AttachedApi, url: str, raw_url: str, routes: tuple[Route, ...]) -> list[Loop]:
    """Each way ``url`` (validated, tokens replaced by stand-ins) reaches ``routes`` through ``attached``.

    ``raw_url`` is the URL as written, tokens included: a token is compared by the CloudFormation
    reference it resolves to, never by its text (two tokens for one value need not look alike).
    """
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path or "/"
    execute_api = EXECUTE_API_HOST.fullmatch(host)
    if execute_api is not None:
        return _execute_api_loops(attached, execute_api.group(1), path, routes)
    if TOKEN_STAND_IN in host:
        return _deploy_time_loops(attached, raw_url, path, routes)
    return _custom_domain_loops(attached, host, path, routes)


def _execute_api_loops(attached: AttachedApi, host_id: str, path: str, routes: tuple[Route, ...]) -> list[Loop]:
    known = not Token.is_unresolved(attached.api_id)
    if known and host_id != attached.api_id.lower():
        return []  # another API: the company's own, most likely, which is what a fallback is for
    how = f"{host_id}.execute-api is this API" if known else f"if {host_id} is this API's id"
    return _stage_loops(attached, path, routes, how, certain=known)


def _deploy_time_loops(attached: AttachedApi, raw_url: str, path: str, routes: tuple[Route, ...]) -> list[Loop]:
    if not isinstance(attached.api, Construct):
        return []
    stack = Stack.of(attached.api)
    referenced = set(cfn_references(stack.resolve(raw_url)))
    api_element = attached.api.node.try_find_child("Resource")
    if not isinstance(api_element, CfnElement) or str(stack.resolve(api_element.logical_id)) not in referenced:
        return []  # built from something else: nothing to compare with
    # rest_api.url holds the stage inside the token, so its path looks stage-less here and is not
    # caught; in the router's own config it makes a dependency cycle (stage, deployment, router
    # method, router function, stage) that synth refuses anyway.
    return _stage_loops(attached, path, routes, "the URL is built from this API's own endpoint", certain=True)


def _stage_loops(attached: AttachedApi, path: str, routes: tuple[Route, ...], how: str, *, certain: bool) -> list[Loop]:
    first, _, remainder = path.lstrip("/").partition("/")
    below_stage = f"/{remainder}"
    stages = _stage_names(attached)
    loops = []
    if attached.rest:
        # A REST API's invoke URL always starts with the stage.
        if (stages is None or first in stages) and _matches(routes, below_stage):
            loops.append(Loop(below_stage, f"{how}, and /{first} is its stage", certain))
        return loops
    if stages is not None and first in stages:
        if _matches(routes, below_stage):
            loops.append(Loop(below_stage, f"{how}, and /{first} is its stage", certain))
        return loops
    if (stages is None or "$default" in stages) and _matches(routes, path):
        loops.append(Loop(path, f"{how}, and its $default stage serves the whole path", certain))
    if stages is None and _matches(routes, below_stage):
        loops.append(Loop(below_stage, f"{how}, if it has a stage named {first!r}", False))
    return loops


def _custom_domain_loops(attached: AttachedApi, host: str, path: str, routes: tuple[Route, ...]) -> list[Loop]:
    loops = []
    for domain, base_path in _mappings(attached):
        if domain.lower().rstrip(".") != host:
            continue
        prefix = f"/{base_path.strip('/')}" if base_path.strip("/") else ""
        if prefix and not (path == prefix or path.startswith(f"{prefix}/")):
            continue
        served = path[len(prefix) :] or "/"
        if _matches(routes, served):
            where = f"the base path {prefix.lstrip('/')!r}" if prefix else "the root"
            loops.append(Loop(served, f"the custom domain {host} maps {where} to this API", True))
    return loops


def _matches(routes: tuple[Route, ...], path: str) -> bool:
    return match_routes(routes, path.replace(PROVIDER_PLACEHOLDER, "provider")) is not None


# -- what this app shows of the API --------------------------------------------------------------


def _app(attached: AttachedApi) -> Iterator[Any]:
    yield from attached.scope.node.root.node.find_all()


def _stage_names(attached: AttachedApi) -> set[str] | None:
    """The API's stages when this app defines the API (``None``: imported by its literal id, stages unknown).

    An API of this app, in this stack or another, has a deploy-time id; its stages are in the app.
    """
    if not Token.is_unresolved(attached.api_id):
        return None
    if attached.rest:
        names = {stage.stage_name for stage in (_stage_element(s) for s in _rest_stages(attached)) if stage}
    else:
        names = {
            stage.stage_name
            for stage in (_stage_element(construct) for construct in _http_stages(attached))
            if stage is not None
        }
    return {name for name in names if isinstance(name, str) and not Token.is_unresolved(name)}


def _http_stages(attached: AttachedApi) -> Iterator[apigwv2.HttpStage]:
    for construct in _app(attached):
        if isinstance(construct, apigwv2.HttpStage) and construct.api.api_id == attached.api_id:
            yield construct


def _rest_stages(attached: AttachedApi) -> Iterator[apigw.Stage]:
    for construct in _app(attached):
        if isinstance(construct, apigw.Stage) and construct.rest_api.rest_api_id == attached.api_id:
            yield construct


def _stage_element(stage: Construct) -> Any:
    element = stage.node.try_find_child("Resource")
    return element if isinstance(element, apigwv2.CfnStage | apigw.CfnStage) else None


def _mappings(attached: AttachedApi) -> Iterator[tuple[str, str]]:
    """``(domain name, base path)`` of each custom-domain mapping of this app onto the API."""
    names: dict[str, str] = {}
    mappings: list[tuple[str, str, str]] = []
    for construct in _app(attached):
        if isinstance(construct, apigwv2.CfnDomainName | apigw.CfnDomainName) and construct.domain_name:
            names[construct.ref] = construct.domain_name
        elif isinstance(construct, apigwv2.CfnApiMapping):
            mappings.append((construct.domain_name, construct.api_id, construct.api_mapping_key or ""))
        elif isinstance(construct, apigw.CfnBasePathMapping) and construct.rest_api_id is not None:
            mappings.append((construct.domain_name, construct.rest_api_id, construct.base_path or ""))
    for domain, api_id, base_path in mappings:
        name = names.get(domain, domain)
        if api_id == attached.api_id and not Token.is_unresolved(name) and not Token.is_unresolved(base_path):
            yield name, base_path


@jsii.implements(IValidation)
class AttachedApiCheck:
    """Route conflicts and fallback loops on one API the router is attached to (a construct validation)."""

    def __init__(
        self,
        router: Construct,
        document: ConfigDocument,
        where: str,
        attached: AttachedApi,
        conflicts: Callable[[], list[Conflict]],
    ) -> None:
        self._router, self._document, self._where = router, document, where
        self._attached, self._conflicts = attached, conflicts
        api = attached.api
        kind = "REST API" if attached.rest else "HTTP API"
        self._api = f"The {kind} {api.node.path if isinstance(api, Construct) else attached.api_id}"

    def problems(self) -> list[str]:
        """What makes the router never run (or loop) on this API; possible loops become warnings."""
        problems = [conflict.message(self._api) for conflict in self._conflicts()]
        config = self._document.config
        fallback = config.fallback
        if fallback.mode not in ("redirect", "proxy") or fallback.url is None:
            return problems
        raw_url = str(self._document.document["fallback"]["url"])
        shown = fallback.url.replace(f"https://{TOKEN_STAND_IN}", "<deploy-time URL>").replace(
            TOKEN_STAND_IN, "<deploy-time value>"
        )
        for loop in api_loops(self._attached, fallback.url, raw_url, config.routes):
            text = (
                f"the {fallback.mode} fallback {shown} "
                f"reaches this API ({loop.how}), which routes it as {loop.served_as}, one of the router's callback "
                f"paths: every callback that is not Junction's would be {loop_effect(fallback.mode)}. Point the "
                "fallback at the company's handler on another path or host."
            )
            if loop.certain:
                problems.append(text)
            else:
                text = text.replace(" reaches ", " may reach ", 1)
                Annotations.of(self._router).add_warning_v2(FALLBACK_LOOP_WARNING, f"{self._where}: {text}")
        return problems

    def validate(self) -> list[str]:
        """Called by CDK at synth: each problem fails it, named like a ``RouterConfigError``."""
        return [f"{self._where}: {problem}" for problem in self.problems()]
