"""``tools/teardown.py`` (``make destroy``) against botocore's ``Stubber``: no network, no credentials.

The stubbers check every request against the AWS API models and fail on any call that was not
expected; the ``cdk destroy`` runner is replaced by one that records the command (the real one
needs an AWS account).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

import tools.teardown as teardown_tool
from callback_router_app.stages import load_stage
from tools.teardown import run

FUNCTION_NAME = "JunctionCallbackRouter-edge-a-RouterEdgeFunctionFn-Ab12Cd34"
FUNCTION = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION_NAME}"
VERSION_3, VERSION_4 = f"{FUNCTION}:3", f"{FUNCTION}:4"
COMPANY_DISTRIBUTION = "E1EXAMPLE12345"  # the edge-attach stage's distribution_id
OWN_DISTRIBUTION = "E2OWNDISTRIB99"
OTHER = "arn:aws:lambda:us-east-1:123456789012:function:company-auth-edge:12"


class Clients:
    """Stubbed CloudFormation, Lambda and CloudFront clients, handed out by service name."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}
        for service in ("cloudformation", "lambda", "cloudfront"):
            client = boto3.client(
                service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
            )
            self.clients[service], self.stubbers[service] = client, Stubber(client)

    def __call__(self, service: str) -> Any:
        return self.clients[service]


@pytest.fixture
def aws() -> Iterator[Clients]:
    clients = Clients()
    for stubber in clients.stubbers.values():
        stubber.activate()
    yield clients
    for stubber in clients.stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


class Recorder:
    """Stands in for ``cdk destroy``: records the command, answers ``code``."""

    def __init__(self, code: int = 0) -> None:
        self.commands: list[list[str]] = []
        self.code = code

    def __call__(self, command: list[str]) -> int:
        self.commands.append(command)
        return self.code


def no_aws(service: str) -> Any:
    raise AssertionError(f"no AWS call expected, got a {service} client request")


def expect_stack(aws: Clients, stage: str, outputs: dict[str, str]) -> None:
    stack = {
        "StackName": f"JunctionCallbackRouter-{stage}",
        "CreationTime": datetime(2026, 11, 1, tzinfo=UTC),
        "StackStatus": "UPDATE_COMPLETE",
        "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()],
    }
    aws.stubbers["cloudformation"].add_response(
        "describe_stacks", {"Stacks": [stack]}, {"StackName": f"JunctionCallbackRouter-{stage}"}
    )


def expect_versions(aws: Clients, function: str = FUNCTION) -> None:
    versions = [
        {"FunctionName": FUNCTION_NAME, "FunctionArn": f"{FUNCTION}:{version}", "Version": version}
        for version in ("$LATEST", "3", "4")
    ]
    aws.stubbers["lambda"].add_response("list_versions_by_function", {"Versions": versions}, {"FunctionName": function})


def behaviour(pattern: str | None, arns: list[str]) -> dict[str, Any]:
    items = [{"LambdaFunctionARN": arn, "EventType": "viewer-request", "IncludeBody": False} for arn in arns]
    data: dict[str, Any] = {
        "TargetOriginId": "auth-origin",
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "LambdaFunctionAssociations": {"Quantity": len(items), **({"Items": items} if items else {})},
    }
    return data if pattern is None else {"PathPattern": pattern, **data}


def summary(
    distribution_id: str, *, callback: list[str], default: list[str] | None = None, status: str = "Deployed"
) -> dict[str, Any]:
    """A ``DistributionSummary`` with one callback behaviour; ``callback``/``default``: the version ARNs they run."""
    return {
        "Id": distribution_id,
        "ARN": f"arn:aws:cloudfront::123456789012:distribution/{distribution_id}",
        "Status": status,
        "LastModifiedTime": datetime(2026, 11, 1, tzinfo=UTC),
        "DomainName": "d111111abcdef8.cloudfront.net",
        "Aliases": {"Quantity": 0},
        "Origins": {
            "Quantity": 1,
            "Items": [{"Id": "auth-origin", "DomainName": "auth.example.com"}],
        },
        "DefaultCacheBehavior": behaviour(None, default or []),
        "CacheBehaviors": {"Quantity": 1, "Items": [behaviour("/oauth_callback/*", callback)]},
        "CustomErrorResponses": {"Quantity": 0},
        "Comment": "",
        "PriceClass": "PriceClass_All",
        "Enabled": True,
        "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "WebACLId": "",
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
        "Staging": False,
    }


def expect_distributions(aws: Clients, *summaries: dict[str, Any]) -> None:
    listing = {"Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": len(summaries)}
    aws.stubbers["cloudfront"].add_response(
        "list_distributions", {"DistributionList": {**listing, **({"Items": list(summaries)} if summaries else {})}}, {}
    )


def teardown(stage: str, *extra: str, clients: Any, runner: Any) -> tuple[int, str]:
    out = io.StringIO()
    code = run(["--stage", stage, *extra], clients=clients, runner=runner, out=out)
    return code, out.getvalue()


def test_an_attached_edge_function_is_refused_with_the_next_steps(aws: Clients) -> None:
    expect_stack(aws, "edge-attach", {"EdgeFunctionVersionArn": VERSION_4})
    expect_versions(aws)
    expect_distributions(aws, summary(COMPANY_DISTRIBUTION, callback=[VERSION_3]))
    runner = Recorder()
    code, output = teardown("edge-attach", clients=aws, runner=runner)
    assert code == 1
    assert runner.commands == []  # cdk destroy never ran
    assert "refused: 1 cache behaviour(s) outside the stack still run this function" in output
    assert (
        f".venv/bin/python -m tools.attach_edge --distribution-id {COMPANY_DISTRIBUTION} "
        f"--path-pattern '/oauth_callback/*' --function-version-arn {VERSION_3} --detach --apply"
    ) in output
    assert f"aws cloudfront wait distribution-deployed --id {COMPANY_DISTRIBUTION}" in output
    assert "make destroy STAGE=edge-attach" in output


def test_an_association_on_the_default_behaviour_is_found(aws: Clients) -> None:
    expect_stack(aws, "edge-attach", {"EdgeFunctionVersionArn": VERSION_4})
    expect_versions(aws)
    expect_distributions(aws, summary("E3SOMEOTHER", callback=[OTHER], default=[VERSION_4]))
    code, output = teardown("edge-attach", clients=aws, runner=Recorder())
    assert code == 1
    assert f"--distribution-id E3SOMEOTHER --default-behavior --function-version-arn {VERSION_4} --detach" in output


def test_a_clear_edge_function_stage_is_destroyed(aws: Clients) -> None:
    expect_stack(aws, "edge-attach", {"EdgeFunctionVersionArn": VERSION_4})
    expect_versions(aws)
    expect_distributions(aws, summary(COMPANY_DISTRIBUTION, callback=[OTHER]))
    runner = Recorder()
    code, output = teardown("edge-attach", clients=aws, runner=runner)
    assert code == 0
    assert runner.commands == [
        ["node_modules/.bin/cdk", "destroy", "JunctionCallbackRouter-edge-attach", "-c", "stage=edge-attach"]
    ]
    assert f"clear: no distribution outside the stack runs {FUNCTION_NAME}" in output
    assert f"aws lambda delete-function --region us-east-1 --function-name {FUNCTION_NAME}" in output


def test_dry_run_checks_and_runs_nothing(aws: Clients) -> None:
    expect_stack(aws, "edge-attach", {"EdgeFunctionVersionArn": VERSION_4})
    expect_versions(aws)
    expect_distributions(aws)
    runner = Recorder()
    code, output = teardown("edge-attach", "--dry-run", "--force", clients=aws, runner=runner)
    assert code == 0
    assert runner.commands == []
    assert (
        "dry run: would run: node_modules/.bin/cdk destroy JunctionCallbackRouter-edge-attach "
        "-c stage=edge-attach --force"
    ) in output


def test_waits_while_the_stages_distribution_is_still_deploying(aws: Clients) -> None:
    expect_stack(aws, "edge-attach", {"EdgeFunctionVersionArn": VERSION_4})
    expect_versions(aws)
    expect_distributions(aws, summary(COMPANY_DISTRIBUTION, callback=[], status="InProgress"))
    runner = Recorder()
    code, output = teardown("edge-attach", clients=aws, runner=runner)
    assert code == 1
    assert runner.commands == []
    assert f"refused: distribution {COMPANY_DISTRIBUTION} is InProgress" in output


def test_the_edge_stacks_own_distribution_does_not_block(aws: Clients) -> None:
    outputs = {"DistributionId": OWN_DISTRIBUTION, "EdgeFunctionVersionArn": VERSION_4}
    expect_stack(aws, "edge", outputs)
    expect_versions(aws)
    expect_distributions(aws, summary(OWN_DISTRIBUTION, callback=[VERSION_4]))
    runner = Recorder()
    code, output = teardown("edge", clients=aws, runner=runner)
    assert code == 0
    assert runner.commands == [["node_modules/.bin/cdk", "destroy", "JunctionCallbackRouter-edge", "-c", "stage=edge"]]
    assert f"{OWN_DISTRIBUTION} (the stack's own, deleted with it" in output


def test_the_edge_stack_is_refused_when_another_distribution_runs_its_function(aws: Clients) -> None:
    outputs = {"DistributionId": OWN_DISTRIBUTION, "EdgeFunctionVersionArn": VERSION_4}
    expect_stack(aws, "edge", outputs)
    expect_versions(aws)
    expect_distributions(
        aws, summary(OWN_DISTRIBUTION, callback=[VERSION_4]), summary("E3SOMEOTHER", callback=[VERSION_3])
    )
    code, output = teardown("edge", clients=aws, runner=Recorder())
    assert code == 1
    assert "--distribution-id E3SOMEOTHER --path-pattern '/oauth_callback/*'" in output
    assert f"--distribution-id {OWN_DISTRIBUTION} " not in output  # CloudFormation deletes its own


def test_the_function_is_found_through_the_stack_resources_without_outputs(aws: Clients) -> None:
    expect_stack(aws, "edge-attach", {})  # e.g. a create that failed before the outputs existed
    resource = {
        "LogicalResourceId": "RouterEdgeFunctionFnDA923163",
        "PhysicalResourceId": FUNCTION_NAME,
        "ResourceType": "AWS::Lambda::Function",
        "Timestamp": datetime(2026, 11, 1, tzinfo=UTC),
        "ResourceStatus": "CREATE_COMPLETE",
    }
    aws.stubbers["cloudformation"].add_response(
        "describe_stack_resources",
        {"StackResources": [resource]},
        {"StackName": "JunctionCallbackRouter-edge-attach"},
    )
    expect_versions(aws, function=FUNCTION_NAME)
    expect_distributions(aws, summary(COMPANY_DISTRIBUTION, callback=[VERSION_3]))
    code, output = teardown("edge-attach", clients=aws, runner=Recorder())
    assert code == 1
    assert f"--function-version-arn {VERSION_3} --detach --apply" in output


def test_a_missing_stack_is_nothing_to_destroy(aws: Clients) -> None:
    aws.stubbers["cloudformation"].add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message="Stack with id JunctionCallbackRouter-edge-attach does not exist",
        http_status_code=400,
    )
    runner = Recorder()
    code, output = teardown("edge-attach", clients=aws, runner=runner)
    assert code == 0
    assert runner.commands == []
    assert "stack JunctionCallbackRouter-edge-attach does not exist in us-east-1: nothing to destroy" in output


def test_a_denied_check_stops_before_anything_changes(aws: Clients) -> None:
    expect_stack(aws, "edge-attach", {"EdgeFunctionVersionArn": VERSION_4})
    expect_versions(aws)
    aws.stubbers["cloudfront"].add_client_error(
        "list_distributions", service_error_code="AccessDenied", http_status_code=403
    )
    runner = Recorder()
    code, output = teardown("edge-attach", clients=aws, runner=runner)
    assert code == 2
    assert runner.commands == []
    assert "AccessDenied" in output
    assert "docs/DEPLOY.md, 'Permissions'" in output


def test_a_failed_edge_destroy_says_to_wait_for_the_replicas(aws: Clients) -> None:
    expect_stack(aws, "edge-attach", {"EdgeFunctionVersionArn": VERSION_4})
    expect_versions(aws)
    expect_distributions(aws)
    code, output = teardown("edge-attach", clients=aws, runner=Recorder(code=1))
    assert code == 1
    assert "CloudFront has not removed the replicas yet" in output


@pytest.mark.parametrize("stage", ["sandbox", "http-attach"])
def test_an_api_stage_is_destroyed_without_aws_checks(stage: str) -> None:
    runner = Recorder()
    code, output = teardown(stage, clients=no_aws, runner=runner)
    assert code == 0
    assert runner.commands == [
        ["node_modules/.bin/cdk", "destroy", f"JunctionCallbackRouter-{stage}", "-c", f"stage={stage}"]
    ]
    assert "no Lambda@Edge function, nothing to check" in output


def test_a_rest_attach_destroy_says_to_redeploy_the_stage() -> None:
    code, output = teardown("rest-attach", clients=no_aws, runner=Recorder())
    assert code == 0
    assert "aws apigateway create-deployment --rest-api-id a1b2c3d4e5 --stage-name prod" in output


def test_an_unknown_stage_is_an_error() -> None:
    runner = Recorder()
    code, output = teardown("no-such-stage", clients=no_aws, runner=runner)
    assert code == 2
    assert runner.commands == []
    assert "error: stage 'no-such-stage': key 'stage': no such stage in cdk.json" in output


def test_the_stack_name_is_the_apps() -> None:
    """Teardown and the app both name the stack by ``Stage.stack_name``: one prefix, not a copy."""
    from callback_router_app import stages

    assert load_stage("edge-attach").stack_name == f"{stages.STACK_PREFIX}-edge-attach"
    assert not hasattr(teardown_tool, "STACK_PREFIX")


def test_associations_are_found_even_when_the_function_is_gone(aws: Clients) -> None:
    expect_stack(aws, "edge-attach", {"EdgeFunctionVersionArn": VERSION_4})
    aws.stubbers["lambda"].add_client_error(
        "list_versions_by_function", service_error_code="ResourceNotFoundException", http_status_code=404
    )
    expect_distributions(aws, summary(COMPANY_DISTRIBUTION, callback=[VERSION_3]))
    code, output = teardown("edge-attach", clients=aws, runner=Recorder())
    assert code == 1
    assert f"--function-version-arn {VERSION_3} --detach --apply" in output
