"""One stack class per shape, each a thin shell around :class:`~junction_callback_router.router.CallbackRouter`.

The stack owns what is specific to the shape's users: its outputs (what to put in Junction's
``redirect_url_override``, the version ARN to attach, ...). :func:`build_app` is what ``app.py``
runs; tests call it too, so the CLI and the tests build exactly the same tree.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from typing import Any

from aws_cdk import App, CfnOutput, Environment, Fn, Stack, Tags, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from junction_callback_router.router import CallbackRouter, callback_paths
from junction_callback_router.stages import DEFAULT_STAGE, Stage, StageError, parse_stage, stages_from_context

STACK_PREFIX = "JunctionCallbackRouter"


class RouterStack(Stack):
    """Base: the router construct plus the outputs every shape has."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description=self._description(stage), **kwargs)
        self.stage = stage
        self.router = CallbackRouter(self, "Router", stage=stage)
        Tags.of(self).add("junction-callback-router:stage", stage.name)
        CfnOutput(self, "FunctionName", value=self.router.function.function_name, description="The router function")
        CfnOutput(self, "CallbackPaths", value=" ".join(callback_paths(stage)), description="Configured callback paths")
        self.add_outputs()

    @staticmethod
    def _description(stage: Stage) -> str:
        return f"Junction BYOO callback router, stage {stage.name} ({stage.shape})"

    def add_outputs(self) -> None:
        """Shape-specific outputs."""


class HttpApiStack(RouterStack):
    """Shape ``http_api``: a new HTTP API in front of the router."""

    def add_outputs(self) -> None:
        """The API URL and the callback URL(s) to register with Junction and the provider."""
        http_stage = self.router.http_stage
        assert http_stage is not None
        CfnOutput(self, "ApiUrl", value=http_stage.url, description="Base URL of the new HTTP API")
        CfnOutput(
            self,
            "RedirectUrlOverride",
            value=Fn.join("", [http_stage.url, callback_paths(self.stage)[0].lstrip("/")]),  # url ends with "/"
            description="Set Junction's redirect_url_override (and the provider's redirect URI) to this",
        )


class ExistingHttpApiStack(RouterStack):
    """Shape ``existing_http_api``: routes added to an HTTP API the company already runs."""

    def add_outputs(self) -> None:
        """Where the routes are served (the stage path depends on the API's own stages)."""
        api_id = str(self.stage.infra["http_api_id"])
        CfnOutput(
            self,
            "ApiEndpoint",
            value=f"https://{api_id}.execute-api.{self.region}.{self.url_suffix}",
            description="Endpoint of the existing HTTP API (add a stage path if it is not $default)",
        )


class ExistingRestApiStack(RouterStack):
    """Shape ``existing_rest_api``: resources, methods and a deployment on an existing REST API."""

    def add_outputs(self) -> None:
        """The callback URL in the deployed stage."""
        infra = self.stage.infra
        CfnOutput(
            self,
            "RedirectUrlOverride",
            value=f"https://{infra['rest_api_id']}.execute-api.{self.region}.{self.url_suffix}/"
            f"{infra['stage_name']}{callback_paths(self.stage)[0]}",
            description="Set Junction's redirect_url_override to this (or your custom domain + path)",
        )


class EdgeDistributionStack(RouterStack):
    """Shape ``edge``: a new CloudFront distribution in front of the company's origin."""

    def add_outputs(self) -> None:
        """The distribution and the version ARN CloudFront runs."""
        distribution, version = self.router.distribution, self.router.edge_version
        assert distribution is not None and version is not None
        CfnOutput(self, "DistributionId", value=distribution.distribution_id)
        CfnOutput(self, "DistributionDomainName", value=distribution.distribution_domain_name)
        CfnOutput(self, "EdgeFunctionVersionArn", value=version.edge_arn, description="Lambda@Edge version")
        host = (self.stage.infra.get("domain_names") or [distribution.distribution_domain_name])[0]
        CfnOutput(
            self,
            "RedirectUrlOverride",
            value=Fn.join("", ["https://", host, callback_paths(self.stage)[0]]),
            description="Set Junction's redirect_url_override (and the provider's redirect URI) to this",
        )


class EdgeFunctionStack(RouterStack):
    """Shape ``edge_function``: only the Lambda@Edge function, for an existing distribution."""

    def add_outputs(self) -> None:
        """The version ARN, and the command that attaches it to the distribution."""
        version = self.router.edge_version
        assert version is not None
        CfnOutput(self, "EdgeFunctionVersionArn", value=version.edge_arn, description="Attach this version")
        distribution_id = self.stage.infra.get("distribution_id", "<DISTRIBUTION_ID>")
        patterns = " ".join(f"--path-pattern {shlex.quote(pattern)}" for pattern in self.stage.path_patterns)
        CfnOutput(
            self,
            "AttachCommand",
            value=Fn.join(
                "",
                [
                    f".venv/bin/python -m tools.attach_edge --distribution-id {distribution_id} {patterns} "
                    "--function-version-arn ",
                    version.edge_arn,
                ],
            ),
            description="Dry run; add --apply to update the distribution",
        )


STACKS: Mapping[str, type[RouterStack]] = {
    "http_api": HttpApiStack,
    "existing_http_api": ExistingHttpApiStack,
    "existing_rest_api": ExistingRestApiStack,
    "edge": EdgeDistributionStack,
    "edge_function": EdgeFunctionStack,
}


def stack_name(stage: Stage) -> str:
    """The CloudFormation stack name of a stage."""
    return f"{STACK_PREFIX}-{stage.name}"


def stage_environment(stage: Stage, environ: Mapping[str, str] = os.environ) -> Environment:
    """Account and region: the stage's own, else the CLI's (``CDK_DEFAULT_*``); edge shapes: us-east-1."""
    return Environment(
        account=stage.account or environ.get("CDK_DEFAULT_ACCOUNT"),
        region=stage.region or environ.get("CDK_DEFAULT_REGION"),
    )


def add_stage_stack(app: App, stage: Stage, environ: Mapping[str, str] = os.environ) -> RouterStack:
    """Add the stack for ``stage`` to ``app``."""
    return STACKS[stage.shape](app, stack_name(stage), stage=stage, env=stage_environment(stage, environ))


def selected_stage(app: App) -> Stage:
    """The stage named by context ``stage`` (``-c stage=NAME``), validated.

    Raises:
        StageError: the stage is unknown or has a mistake.
    """
    stages = stages_from_context(app.node.try_get_context("stages"))
    name = app.node.try_get_context("stage") or DEFAULT_STAGE
    if name not in stages:
        raise StageError(str(name), "stage", f"no such stage in cdk.json; stages: {', '.join(sorted(stages))}")
    return parse_stage(str(name), stages[name])


def build_app(app: App, environ: Mapping[str, str] = os.environ) -> RouterStack:
    """Build the selected stage's stack and enable cdk-nag's AWS Solutions checks on the app.

    With cdk-nag 3.x a finding that is not acknowledged fails ``synth``
    (https://github.com/cdklabs/cdk-nag#readme).
    """
    stack = add_stage_stack(app, selected_stage(app), environ)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack
