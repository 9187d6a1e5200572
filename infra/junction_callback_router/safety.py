"""Deploy-time safety: a stage that still points at a placeholder host must never reach AWS.

The example stages in ``cdk.json`` use reserved example domains (RFC 2606 and RFC 6761:
``example.com``/``.net``/``.org``, the ``.example``, ``.test``, ``.invalid`` and ``.localhost``
top-level domains, ``localhost``). They are fine for ``make run`` (the local gateway replaces them
with a stand-in) and for ``cdk synth``; deployed, the company's own callbacks would go nowhere.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from aws_cdk import CfnRule, CfnRuleAssertion, Fn
from constructs import Construct

RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
"""RFC 2606 section 3: second-level domains reserved for examples."""
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
"""RFC 2606 section 2 and RFC 6761 section 6: top-level domains that never resolve to a real service."""


def reserved_host_reason(host: str) -> str | None:
    """Why ``host`` cannot be a deployed service (a reserved or loopback name), or ``None``."""
    name = host.strip().rstrip(".").lower().strip("[]")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None:
        return f"{host} is a loopback address" if address.is_loopback else None
    if name == "localhost":
        return "localhost is this machine (RFC 6761)"
    for domain in RESERVED_DOMAINS:
        if name == domain or name.endswith(f".{domain}"):
            return f"{host} is under {domain}, a domain reserved for examples (RFC 2606)"
    tld = name.rsplit(".", 1)[-1]
    if tld in RESERVED_TLDS:
        return f"{host} is under .{tld}, a top-level domain reserved by RFC 2606/6761"
    return None


def document_problems(document: Mapping[str, Any]) -> list[str]:
    """Each URL of a runtime config document that points at a reserved or loopback host."""
    problems = []
    fallback = document.get("fallback")
    url = fallback.get("url") if isinstance(fallback, dict) else None
    if isinstance(url, str):
        reason = reserved_host_reason(urlsplit(url).hostname or "")
        if reason:
            problems.append(
                f"key 'fallback.url': {reason}. Set it to the URL of the company's own OAuth callback handler "
                "before deploying (make run keeps working with its local stand-in)."
            )
    extra = document.get("extra_environments")
    for name, base_url in (extra if isinstance(extra, dict) else {}).items():
        reason = reserved_host_reason(urlsplit(str(base_url)).hostname or "")
        if reason:
            problems.append(f"key 'extra_environments.{name}': {reason}. Use the Link API base URL Junction gave you.")
    return problems


def origin_problems(origin: object) -> list[str]:
    """The ``edge`` shape's origin, when it is a reserved or loopback host."""
    reason = reserved_host_reason(origin) if isinstance(origin, str) else None
    if not reason:
        return []
    return [
        f"key 'origin_domain_name': {reason}. Set origin_domain_name to the host that serves the company's "
        "OAuth callback today."
    ]


def refuse_deployment(scope: Construct, label: str, problems: list[str]) -> None:
    """Make CloudFormation refuse to deploy ``scope``'s stack while ``problems`` remain.

    ``cdk synth`` (and ``make run``, which serves a stage locally with a stand-in) keep working;
    ``make deploy`` refuses earlier still, before anything reaches AWS (tools/preflight.py). This
    template rule is the guard for a plain ``cdk deploy`` or a pipeline: CloudFormation evaluates
    rules before it creates or changes any resource ("Rules" section of the template anatomy).
    """
    if not problems:
        return
    assertions = [
        CfnRuleAssertion(
            assert_=Fn.condition_equals("placeholder", "replaced"), assert_description=f"{label}: {problem}"
        )
        for problem in problems
    ]
    CfnRule(scope, "RefusePlaceholderDeployment", assertions=assertions)
