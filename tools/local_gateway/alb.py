"""The ALB front, pure: listener rules read from a template, ALB's matching, events and answers.

No sockets: :func:`rules_from_template` turns the ``AWS::ElasticLoadBalancingV2::ListenerRule``
resources of a synthesized template into :class:`AlbRule` objects, :func:`match_alb_rule` picks the
rule a request meets (``None``: the listener's default action), :func:`alb_event` builds the event a
Lambda target group with multi-value headers on sends, and :func:`alb_answer` turns the function's
answer into what the load balancer sends back.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callback_router.core.uri import query_pairs
from tools.local_gateway.wildcards import wildcard_match

ALB_TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/callback-router/0123456789abcdef"
)
ALB_BYPASS_PRIORITY = 10
"""The priority the local listener passes to ``add_to_alb`` (its "bypass" rule; "router" is the next)."""
ALB_MAX_LAMBDA_RESPONSE = 1024 * 1024
"""ALB refuses (502) a Lambda response JSON over 1 MB (Lambda functions as targets, Limits)."""
ALB_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>502 Bad Gateway</body>\r\n</html>\r\n"
)
LISTENER_RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"


def alb_wildcard_match(pattern: str, text: str, *, case_sensitive: bool, escapes: bool = False) -> bool:
    """ALB's condition match: the whole ``text`` against ``pattern``, ``*`` = 0 or more, ``?`` = exactly 1.

    Path patterns compare case-sensitively, header and query-string values case-insensitively;
    only query-string values take ``\\*`` / ``\\?`` for a literal ``*`` / ``?`` (ELB API reference,
    PathPatternConditionConfig, HttpHeaderConditionConfig, QueryStringConditionConfig).
    """
    return wildcard_match(pattern, text, case_sensitive=case_sensitive, escapes=escapes)


def alb_query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """The query's key/value pairs as a ``query-string`` condition compares them.

    AWS documents the comparison as case-insensitive with wildcards, and says "any character can
    be percentage encoded" in the query; it does not say outright whether the condition sees the
    raw or the decoded text. We compare keys and values **decoded the way the router reads them**
    (``core.uri.query_pairs``, the WHATWG form rules): the reading of that sentence under which
    ``%65yJ...`` and ``eyJ...``, ``st%61te`` and ``state``, are the same. It only matters for
    hand-made queries that percent-encode unreserved characters, which JWTs (base64url and dots)
    never need; the function reads ``state`` itself either way. (The event the function gets
    carries the raw, undecoded keys and values.)
    """
    return query_pairs(raw_query)


@dataclass(frozen=True)
class AlbRule:
    """One emulated listener rule: every condition must hold; within a condition, any one value."""

    name: str
    priority: int
    path_patterns: tuple[str, ...]
    target: str
    """``"company"`` (the company's target group) or ``"router"`` (the router Lambda's)."""
    http_header: tuple[str, tuple[str, ...]] | None = None
    """An ``http-header`` condition: header name (case-insensitive) and the values it may have."""
    query_string: tuple[tuple[str | None, str], ...] = ()
    """A ``query-string`` condition: (key or ``None`` for any key, value) pairs."""
    host_headers: tuple[str, ...] = ()
    """A ``host-header`` condition: the hosts it may have (case-insensitive, wildcards)."""

    def matches(self, raw_path: str, headers: list[tuple[str, str]], raw_query: str) -> bool:
        """Whether a request with this raw path, headers and raw query meets every condition."""
        # The path pattern is compared to the path only (never the query), as received.
        if self.path_patterns and not any(
            alb_wildcard_match(pattern, raw_path, case_sensitive=True) for pattern in self.path_patterns
        ):
            return False
        if self.host_headers:
            hosts = [value.partition(":")[0] for key, value in headers if key.lower() == "host"]
            if not any(
                alb_wildcard_match(pattern, host, case_sensitive=False)
                for pattern in self.host_headers
                for host in hosts
            ):
                return False
        if self.http_header is not None:
            name, allowed = self.http_header
            values = [value for key, value in headers if key.lower() == name.lower()]
            if not any(
                alb_wildcard_match(pattern, value, case_sensitive=False) for pattern in allowed for value in values
            ):
                return False
        if self.query_string:
            pairs = alb_query_pairs(raw_query)
            if not any(
                (key is None or alb_wildcard_match(key, have_key, case_sensitive=False, escapes=True))
                and alb_wildcard_match(value, have_value, case_sensitive=False, escapes=True)
                for key, value in self.query_string
                for have_key, have_value in pairs
            ):
                return False
        return True


def _rule_from_resource(logical_id: str, properties: Mapping[str, Any], lambda_groups: set[str]) -> AlbRule:
    forward = [action for action in properties.get("Actions") or [] if action.get("Type") == "forward"]
    if len(forward) != 1:
        raise ValueError(f"listener rule {logical_id}: the local ALB emulates one forward action, not {forward!r}")
    group = forward[0].get("TargetGroupArn")
    to_router = isinstance(group, dict) and group.get("Ref") in lambda_groups
    paths: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    header: tuple[str, tuple[str, ...]] | None = None
    query: tuple[tuple[str | None, str], ...] = ()
    for condition in properties.get("Conditions") or []:
        field = condition.get("Field")
        if field == "path-pattern":
            paths = tuple(condition["PathPatternConfig"]["Values"])
        elif field == "host-header":
            hosts = tuple(condition["HostHeaderConfig"]["Values"])
        elif field == "http-header":
            config = condition["HttpHeaderConfig"]
            header = (str(config["HttpHeaderName"]), tuple(config["Values"]))
        elif field == "query-string":
            query = tuple((item.get("Key"), str(item["Value"])) for item in condition["QueryStringConfig"]["Values"])
        else:  # never guess: a rule emulated wrongly would send callbacks where AWS would not
            raise ValueError(f"listener rule {logical_id}: condition {field!r} is not emulated locally")
    name = "router" if to_router else "bypass" if header is not None else "company"
    return AlbRule(name, int(properties["Priority"]), paths, "router" if to_router else "company", header, query, hosts)


def rules_from_template(template: Mapping[str, Any]) -> tuple[AlbRule, ...]:
    """The listener rules of a synthesized template, by priority.

    A rule that forwards to a Lambda target group defined in the template is the router's
    (``target="router"``); any other forward (an imported target group: the company's service) is
    ``"company"``: named ``"bypass"`` when it carries an ``http-header`` condition (the proxy
    fallback's marker), else ``"company"``.

    Raises:
        ValueError: a rule this emulator cannot evaluate faithfully (another action or condition type).
    """
    resources: Mapping[str, Any] = template.get("Resources") or {}
    lambda_groups = {
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") == TARGET_GROUP and (resource.get("Properties") or {}).get("TargetType") == "lambda"
    }
    rules = [
        _rule_from_resource(logical_id, resource.get("Properties") or {}, lambda_groups)
        for logical_id, resource in resources.items()
        if resource.get("Type") == LISTENER_RULE
    ]
    return tuple(sorted(rules, key=lambda rule: rule.priority))


def match_alb_rule(rules: tuple[AlbRule, ...], target: str, headers: list[tuple[str, str]]) -> AlbRule | None:
    """The first rule, by priority, that ``target`` (raw path and query) and ``headers`` meet; ``None``: default."""
    raw_path, _, raw_query = target.partition("?")
    return next(
        (rule for rule in sorted(rules, key=lambda rule: rule.priority) if rule.matches(raw_path, headers, raw_query)),
        None,
    )


def alb_request_headers(headers: list[tuple[str, str]], client_ip: str, listener_port: int) -> list[tuple[str, str]]:
    """The request headers as an ALB passes them on: ``X-Forwarded-*`` set, a trace id added if none."""
    forwarded = ("x-forwarded-for", "x-forwarded-proto", "x-forwarded-port")
    out = [(name, value) for name, value in headers if name.lower() not in forwarded]
    prior = [value for name, value in headers if name.lower() == "x-forwarded-for"]
    out += [
        ("X-Forwarded-For", ", ".join([*prior, client_ip])),  # ALB appends the client's address
        ("X-Forwarded-Proto", "http"),
        ("X-Forwarded-Port", str(listener_port)),
    ]
    if not any(name.lower() == "x-amzn-trace-id" for name, _ in headers):
        out.append(("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"))
    return out


def alb_event(method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    """An ALB event for a Lambda target group with multi-value headers on (as the service builds it).

    Query keys and values are **not** decoded; repeated keys and headers keep every value, in
    order, grouped by key (the event has no way to say how repeated keys interleaved). Header
    names are lowercased. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
    """
    raw_path, _, raw_query = target.partition("?")
    query: dict[str, list[str]] = {}
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            query.setdefault(key, []).append(value)
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name.lower(), []).append(value)
    return {
        "requestContext": {"elb": {"targetGroupArn": ALB_TARGET_GROUP_ARN}},
        "httpMethod": method,
        "path": raw_path,
        "multiValueQueryStringParameters": query,
        "multiValueHeaders": multi_headers,
        # Always base64 when there is a body: the function must decode either form.
        "body": base64.b64encode(body).decode("ascii") if body else "",
        "isBase64Encoded": bool(body),
    }


def alb_answer(result: Any) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
    """A Lambda target's answer as status, headers (repeats kept), body and reason phrase.

    With multi-value headers on, ALB reads ``multiValueHeaders``; ``statusDescription`` ("307
    Temporary Redirect") gives the reason phrase. An answer ALB cannot use (no ``statusCode``,
    bad base64, JSON over 1 MB) becomes ALB's own 502.
    """
    try:
        if not isinstance(result, dict) or len(json.dumps(result).encode("utf-8")) > ALB_MAX_LAMBDA_RESPONSE:
            raise ValueError("not an ALB answer, or over 1 MB")
        status = int(result["statusCode"])
        headers = [
            (name, str(value)) for name, values in (result.get("multiValueHeaders") or {}).items() for value in values
        ]
        raw_body = result.get("body") or ""
        body = base64.b64decode(raw_body, validate=True) if result.get("isBase64Encoded") else str(raw_body).encode()
    except (KeyError, TypeError, ValueError, binascii.Error):
        return 502, [("Content-Type", "text/html")], ALB_BAD_GATEWAY, "Bad Gateway"
    reason = str(result.get("statusDescription") or "").partition(" ")[2]
    return status, headers, body, reason or None
