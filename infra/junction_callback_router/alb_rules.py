"""The limits of an Application Load Balancer listener rule, checked before ``add_to_alb`` writes its two rules."""

from __future__ import annotations

from callback_router.core.routes import ALB_STATE_PATTERN
from junction_callback_router.options import RouterConfigError

ALB_MAX_MATCH_EVALUATIONS = 5
ALB_MAX_VALUES_PER_CONDITION = 3
ALB_MAX_WILDCARDS = 5
ALB_MAX_CONDITION_VALUE_LENGTH = 128
"""ELB guide, "Listener rules for your Application Load Balancer", condition limits."""


def check_alb_rule(label: str, priority: int, patterns: list[str], hosts: list[str]) -> None:
    """Refuse a priority, or paths and hosts, that a listener rule with the state condition cannot hold."""
    key = "add_to_alb"
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 49998:
        raise RouterConfigError(label, f"{key}(priority=...)", "must be a whole number from 1 to 49998 (two rules)")
    for name, items in (("routes", patterns), ("host_headers", hosts)):
        if len(items) > ALB_MAX_VALUES_PER_CONDITION:
            raise RouterConfigError(
                label,
                f"{key}: {name}",
                f"{len(items)} values; an ALB condition allows {ALB_MAX_VALUES_PER_CONDITION}. "
                "Use a second router (or add_to_alb on another listener) for the others.",
            )
    values = [*patterns, *hosts, ALB_STATE_PATTERN]
    if len(values) > ALB_MAX_MATCH_EVALUATIONS:
        raise RouterConfigError(
            label,
            f"{key}: routes",
            f"{len(patterns)} paths, {len(hosts)} hosts and the state condition make {len(values)} match "
            f"evaluations; an ALB rule allows {ALB_MAX_MATCH_EVALUATIONS}. Use fewer routes or hosts, "
            "or a second router.",
        )
    wildcards = sum(value.count("*") + value.count("?") for value in values)
    if wildcards > ALB_MAX_WILDCARDS:
        raise RouterConfigError(
            label, f"{key}: routes", f"{wildcards} wildcards; an ALB rule allows {ALB_MAX_WILDCARDS}"
        )
    for value in values:
        if len(value) > ALB_MAX_CONDITION_VALUE_LENGTH:
            raise RouterConfigError(
                label, f"{key}: routes", f"{value!r} is longer than an ALB condition value may be (128)"
            )
