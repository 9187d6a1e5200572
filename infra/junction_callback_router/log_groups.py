"""The log groups the constructs and the standalone app create: always with a retention."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct


def log_group(
    scope: Construct,
    construct_id: str,
    retention: logs.RetentionDays,
    name: str | None = None,
    removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
) -> logs.LogGroup:
    """A log group with a retention (cdk-nag and the company's auditors both ask for one)."""
    return logs.LogGroup(scope, construct_id, log_group_name=name, retention=retention, removal_policy=removal_policy)
