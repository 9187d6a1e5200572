"""The company's own routes on the router's callback paths, found at synth in the app's constructs.

Attaching the router to an API that already serves a callback path does not fail by itself, and
then the router never runs: API Gateway picks the most specific route (HTTP API: an exact path
and method beats ``ANY``, a literal segment beats a ``{variable}``; REST: a method beats ``ANY``
on the same resource), and an ``ANY`` of the company's own is a duplicate route key that API
Gateway refuses. ``$default`` and greedy ``{proxy+}`` routes are less specific than the router's
and are no conflict on an HTTP API; a REST API allows one variable path part per level, so a
``{proxy+}`` or ``{name}`` beside the router's ``{provider}`` is refused at deploy ("A sibling
... already has a variable path part -- only one is allowed").

Only what this app defines is visible, and a ``SpecRestApi``'s inline OpenAPI body; imported APIs
and a body in a file or bucket are not (docs/DEPLOY.md says how to check those with the AWS CLI).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnElement, Stack, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from callback_router.core.routes import Route
from junction_callback_router.cfn import cfn_references

ONE_VARIABLE_PER_LEVEL = (
    "A REST API allows one variable path part per level, so API Gateway refuses the deployment "
    "(A sibling ... already has a variable path part -- only one is allowed)."
)
OPENAPI_ANY_METHOD = "x-amazon-apigateway-any-method"
OPENAPI_INTEGRATION = "x-amazon-apigateway-integration"
OPENAPI_METHODS = frozenset({"ANY", "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH"})
"""API Gateway's OpenAPI extensions ("Working with API Gateway extensions to OpenAPI")."""
WHAT_TO_DO = (
    "Remove it and pass fallback=Fallback.invoke({function}) to the router: it takes the callback "
    "path over and hands every callback that is not Junction's to that function, unchanged."
)


@dataclass(frozen=True)
class Conflict:
    """One route or method of the company's that takes requests meant for a callback path."""

    callback_path: str
    existing: str
    """How AWS names it: ``GET /oauth_callback/{name}`` (route key, or method and resource path)."""
    construct_path: str
    target: str | None
    """What it is integrated with, in words (a Lambda function's construct path when there is one)."""
    function: str | None
    """The Lambda function it invokes: its construct path in this app, or its ARN."""
    reason: str

    def message(self, api: str) -> str:
        """The synth error: what is there, why the router would never run, what to do."""
        function = self.function or "<the company's callback function>"
        integrated = f", integrated with {self.target}" if self.target else ""
        return (
            f"{api} already has {self.existing} ({self.construct_path}{integrated}) on the callback path "
            f"{self.callback_path}. {self.reason} {WHAT_TO_DO.format(function=function)}"
        )


def http_api_conflicts(
    scope: Construct, http_api: apigwv2.IHttpApi, routes: Iterable[Route], own: AbstractSet[str]
) -> list[Conflict]:
    """The HTTP API routes of ``scope``'s app, on ``http_api`` but not among ``own``, that take a callback path."""
    found = []
    for construct in scope.node.root.node.find_all():
        if not isinstance(construct, apigwv2.HttpRoute) or construct.node.path in own:
            continue
        if construct.http_api.api_id != http_api.api_id:  # same token, or same literal id
            continue
        cfn = construct.node.try_find_child("Resource")
        if not isinstance(cfn, apigwv2.CfnRoute) or Token.is_unresolved(cfn.route_key):
            continue
        method, _, path = cfn.route_key.partition(" ")
        if not path:
            continue  # $default: the router's routes are more specific
        for route in routes:
            reason = _http_reason(method, path, route.path)
            if reason:
                function, target = _describe(Stack.of(cfn), cfn.target)
                found.append(Conflict(route.path, cfn.route_key, construct.node.path, target, function, reason))
    return found


def rest_api_conflicts(
    scope: Construct, rest_api: apigw.IRestApi, routes: Iterable[Route], own: AbstractSet[str]
) -> list[Conflict]:
    """The REST API methods and resources of ``scope``'s app, on ``rest_api`` but not among ``own``, that collide."""
    found = []
    with_methods: set[str] = set()
    resources: list[apigw.Resource] = []
    for construct in scope.node.root.node.find_all():
        if isinstance(construct, apigw.Resource) and construct.api.rest_api_id == rest_api.rest_api_id:
            resources.append(construct)
        if not isinstance(construct, apigw.Method) or construct.node.path in own:
            continue
        if construct.api.rest_api_id != rest_api.rest_api_id:
            continue
        path = construct.resource.path
        for route in routes:
            reason = _rest_method_reason(construct.http_method, path, route.path)
            if reason:
                cfn = construct.node.try_find_child("Resource")
                integration = cfn.integration if isinstance(cfn, apigw.CfnMethod) else None
                function, target = _describe(construct.stack, integration)
                existing = f"{construct.http_method} {path}"
                found.append(Conflict(route.path, existing, construct.node.path, target, function, reason))
                with_methods.add(path)
    for resource in resources:
        for route in routes:
            if resource.path not in with_methods and _sibling_variable(resource.path, route.path):
                found.append(
                    Conflict(
                        route.path,
                        f"the resource {resource.path}",
                        resource.node.path,
                        None,
                        None,
                        ONE_VARIABLE_PER_LEVEL,
                    )
                )
    return found + _openapi_conflicts(rest_api, routes)


def _openapi_conflicts(rest_api: apigw.IRestApi, routes: Iterable[Route]) -> list[Conflict]:
    """The paths of a ``SpecRestApi``'s inline OpenAPI body (a body in an S3 asset is not read here)."""
    element = rest_api.node.try_find_child("Resource") if isinstance(rest_api, apigw.SpecRestApi) else None
    if not isinstance(element, apigw.CfnRestApi) or not isinstance(rest_api, Construct):
        return []
    stack = Stack.of(element)
    body = stack.resolve(element.body)
    paths = body.get("paths") if isinstance(body, dict) else None
    found: list[Conflict] = []
    where = f"{rest_api.node.path}, in its OpenAPI body"
    for path, operations in paths.items() if isinstance(paths, dict) else ():
        if not isinstance(path, str) or not isinstance(operations, dict):
            continue
        for route in routes:
            before = len(found)
            for key, operation in operations.items():
                method = "ANY" if key == OPENAPI_ANY_METHOD else str(key).upper()
                reason = _rest_method_reason(method, path, route.path) if method in OPENAPI_METHODS else None
                if reason:
                    integration = operation.get(OPENAPI_INTEGRATION) if isinstance(operation, dict) else None
                    uri = integration.get("uri") if isinstance(integration, dict) else None
                    function, target = _describe(stack, uri)
                    found.append(Conflict(route.path, f"{method} {path}", where, target, function, reason))
            if len(found) == before and _under_a_sibling_variable(path, route.path):
                found.append(Conflict(route.path, f"the path {path}", where, None, None, ONE_VARIABLE_PER_LEVEL))
    return found


# -- paths ---------------------------------------------------------------------------------------


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


def _is_variable(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _is_greedy(segment: str) -> bool:
    return _is_variable(segment) and segment.endswith("+}")


def _shadows(path: str, callback_path: str) -> str | None:
    """``"same"`` when ``path`` is the callback path (any variable name), ``"literal"`` when it is more specific."""
    mine, theirs = _segments(callback_path), _segments(path)
    if len(mine) != len(theirs):
        return None
    more_specific = False
    for own, other in zip(mine, theirs, strict=True):
        if _is_greedy(other):
            return None  # {proxy+} is the least specific match there is
        if _is_variable(own):
            more_specific = more_specific or not _is_variable(other)
        elif own != other:
            return None
    return "literal" if more_specific else "same"


def _http_reason(method: str, path: str, callback_path: str) -> str | None:
    match = _shadows(path, callback_path)
    if match is None:
        return None
    if match == "literal":
        return (
            f"API Gateway prefers that more specific path to the router's {callback_path}, so the callbacks it "
            "matches never reach the router."
        )
    if method == "ANY":
        return "Two ANY routes on one path are a duplicate route key: API Gateway refuses the deployment."
    return f"API Gateway prefers a route with a method to the router's ANY route, so {_taken(method)}"


def _rest_method_reason(method: str, path: str, callback_path: str) -> str | None:
    match = _shadows(path, callback_path)
    if match is None:
        return None
    if match == "literal":
        return (
            f"API Gateway prefers that more specific resource to the router's {callback_path}, so the callbacks "
            "it matches never reach the router."
        )
    if path != callback_path:
        return ONE_VARIABLE_PER_LEVEL
    if method == "ANY":
        return "The router adds its own ANY method on that resource; a resource has one method of each kind."
    return f"API Gateway prefers a method to the router's ANY method on the same resource, so {_taken(method)}"


def _under_a_sibling_variable(path: str, callback_path: str) -> bool:
    """Whether ``path`` or one of its parents is a variable beside the callback path's own."""
    segments = _segments(path)
    return any(_sibling_variable("/" + "/".join(segments[:end]), callback_path) for end in range(1, len(segments) + 1))


def _taken(method: str) -> str:
    if method == "GET":
        return "every GET request on that path, Junction's callbacks included, reaches it and never the router."
    return f"every {method} request on that path reaches it, never the router nor its fallback."


def _sibling_variable(path: str, callback_path: str) -> bool:
    """A REST resource whose variable segment sits beside one of the callback path's under another name."""
    mine, theirs = _segments(callback_path), _segments(path)
    if len(theirs) > len(mine):
        return False
    last = len(theirs) - 1
    return (
        theirs[:last] == mine[:last]
        and _is_variable(mine[last])
        and _is_variable(theirs[last])
        and theirs[last] != mine[last]
    )


# -- integrations, in words ---------------------------------------------------------------------


def _describe(stack: Stack, value: Any) -> tuple[str | None, str]:
    """The Lambda function's construct path behind an integration (if any) and the integration in words.

    Follows CloudFormation references: a route's target names an integration, whose URI names the
    function (``Fn::GetAtt``); a literal ARN of a function outside this app is shown as it is.
    """
    by_id = {str(stack.resolve(element.logical_id)): element for element in _elements(stack)}
    seen: set[str] = set()
    pending = [stack.resolve(value)]
    while pending:
        current = pending.pop()
        for reference in cfn_references(current):
            element = by_id.get(reference)
            if element is None or reference in seen:
                continue
            seen.add(reference)
            if isinstance(element, lambda_.CfnFunction | lambda_.CfnAlias | lambda_.CfnVersion):
                owner = element.node.scope
                path = owner.node.path if owner is not None else element.node.path
                return path, f"the Lambda function {path}"
            if isinstance(element, apigwv2.CfnIntegration):
                pending.append(stack.resolve(element.integration_uri))
        for text in _strings(current):
            if ":function:" in text:
                arn = text.split("/functions/")[-1].removesuffix("/invocations")
                return arn, f"the Lambda function {arn}"
    kind = value.type if isinstance(value, apigw.CfnMethod.IntegrationProperty) else None
    return None, f"a {kind} integration" if kind else "its integration"


def _elements(stack: Stack) -> Iterator[CfnElement]:
    for construct in stack.node.find_all():
        if isinstance(construct, CfnElement):
            yield construct


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
