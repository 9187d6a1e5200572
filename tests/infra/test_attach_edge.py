"""``tools/attach_edge.py`` against botocore's ``Stubber`` (CloudFront itself cannot run here).

The stubber checks every request against CloudFront's API model and the exact parameters we
expect, and fails on any call that was not expected: a dry run that tried to update would fail.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

from tools.attach_edge import run

DISTRIBUTION = "E1EXAMPLE12345"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:JunctionCallbackRouter-edge-attach-viewer-request"
VERSION_3, VERSION_4 = f"{FUNCTION}:3", f"{FUNCTION}:4"
OTHER = "arn:aws:lambda:us-east-1:123456789012:function:company-auth-edge:12"


def behaviour(pattern: str, associations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    items = associations or []
    return {
        "PathPattern": pattern,
        "TargetOriginId": "auth-origin",
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        "OriginRequestPolicyId": "216adef6-5c7f-47e4-b989-5492eafa07d3",
        "LambdaFunctionAssociations": {"Quantity": len(items), **({"Items": items} if items else {})},
    }


def distribution_config(callback: dict[str, Any]) -> dict[str, Any]:
    return {
        "CallerReference": "company-auth",
        "Comment": "auth.example.com",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "auth-origin",
                    "DomainName": "auth.example.com",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "auth-origin",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
        "CacheBehaviors": {"Quantity": 2, "Items": [callback, behaviour("/static/*")]},
    }


def association(arn: str) -> dict[str, Any]:
    return {"LambdaFunctionARN": arn, "EventType": "viewer-request", "IncludeBody": False}


@pytest.fixture
def cloudfront() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "cloudfront", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_get(stubber: Stubber, config: dict[str, Any], etag: str = "E2QWRUHAPOMQZL") -> None:
    stubber.add_response("get_distribution_config", {"DistributionConfig": config, "ETag": etag}, {"Id": DISTRIBUTION})


def attach(client: Any, *extra: str, version: str = VERSION_4) -> tuple[int, str]:
    out = io.StringIO()
    argv = ["--distribution-id", DISTRIBUTION, "--path-pattern", "/oauth_callback/*", "--function-version-arn", version]
    code = run([*argv, *extra], client=client, out=out)
    return code, out.getvalue()


def test_dry_run_prints_the_change_and_changes_nothing(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_get(stubber, distribution_config(behaviour("/oauth_callback/*")))
    code, output = attach(client)
    assert code == 0
    assert f"behaviour '/oauth_callback/*': viewer-request: (none) -> {VERSION_4}" in output
    assert "dry run" in output  # and no update_distribution call was stubbed: none was made


def test_apply_updates_with_the_etag(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    before = distribution_config(behaviour("/oauth_callback/*", [association(VERSION_3)]))
    after = copy.deepcopy(before)
    after["CacheBehaviors"]["Items"][0] = behaviour("/oauth_callback/*", [association(VERSION_4)])
    expect_get(stubber, before, etag="ETAG-1")
    stubber.add_response(
        "update_distribution",
        {
            "Distribution": {
                "Id": DISTRIBUTION,
                "ARN": "arn",
                "Status": "InProgress",
                "LastModifiedTime": "2026-11-30",
                "InProgressInvalidationBatches": 0,
                "DomainName": "d1.cloudfront.net",
                "DistributionConfig": after,
            },
            "ETag": "ETAG-2",
        },
        {"Id": DISTRIBUTION, "IfMatch": "ETAG-1", "DistributionConfig": after},
    )
    code, output = attach(client, "--apply")
    assert code == 0
    assert f"viewer-request: {VERSION_3} -> {VERSION_4}" in output  # "was" is the rollback target
    assert "updated (status InProgress" in output


def test_is_idempotent(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_get(stubber, distribution_config(behaviour("/oauth_callback/*", [association(VERSION_4)])))
    code, output = attach(client, "--apply")
    assert code == 0
    assert "nothing to change" in output  # and no update was sent


def test_keeps_other_event_types(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    origin_response = {"LambdaFunctionARN": OTHER, "EventType": "origin-response", "IncludeBody": False}
    before = distribution_config(behaviour("/oauth_callback/*", [origin_response]))
    after = copy.deepcopy(before)
    after["CacheBehaviors"]["Items"][0] = behaviour("/oauth_callback/*", [origin_response, association(VERSION_4)])
    expect_get(stubber, before, etag="ETAG-1")
    stubber.add_response(
        "update_distribution",
        {"ETag": "ETAG-2"},
        {"Id": DISTRIBUTION, "IfMatch": "ETAG-1", "DistributionConfig": after},
    )
    assert attach(client, "--apply")[0] == 0


def test_refuses_to_replace_another_function(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_get(stubber, distribution_config(behaviour("/oauth_callback/*", [association(OTHER)])))
    code, output = attach(client, "--apply")
    assert code == 2
    assert f"already runs {OTHER} at viewer request; pass --replace-other" in output


def test_refuses_a_missing_behaviour(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_get(stubber, distribution_config(behaviour("/callback/*")))
    code, output = attach(client, "--apply")
    assert code == 2
    assert "no cache behaviour for path pattern '/oauth_callback/*' (behaviours: /callback/*, /static/*)" in output


def test_refuses_an_unversioned_arn(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_get(stubber, distribution_config(behaviour("/oauth_callback/*")))
    code, output = attach(client, version=FUNCTION)  # no :VERSION: CloudFront needs a numbered version
    assert code == 2
    assert "is not a numbered Lambda version ARN in us-east-1" in output


def test_detach_removes_only_the_routers_association(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    before = distribution_config(behaviour("/oauth_callback/*", [association(VERSION_3)]))
    after = copy.deepcopy(before)
    after["CacheBehaviors"]["Items"][0] = behaviour("/oauth_callback/*")
    expect_get(stubber, before, etag="ETAG-1")
    stubber.add_response(
        "update_distribution",
        {"ETag": "ETAG-2"},
        {"Id": DISTRIBUTION, "IfMatch": "ETAG-1", "DistributionConfig": after},
    )
    code, output = attach(client, "--detach", "--apply", version=VERSION_4)
    assert code == 0
    assert f"viewer-request: {VERSION_3} -> (none)" in output


def test_a_concurrent_change_is_not_overwritten(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_get(stubber, distribution_config(behaviour("/oauth_callback/*")), etag="ETAG-1")
    stubber.add_client_error("update_distribution", service_error_code="PreconditionFailed", http_status_code=412)
    code, output = attach(client, "--apply")
    assert code == 3
    assert "changed since it was read (ETag ETAG-1); nothing applied, run again" in output


@pytest.mark.parametrize(
    ("in_distribution", "given"),
    [("oauth_callback/*", "/oauth_callback/*"), ("/oauth_callback/*", "oauth_callback/*")],
)
def test_the_leading_slash_is_optional_as_in_cloudfront(
    cloudfront: tuple[Any, Stubber], in_distribution: str, given: str
) -> None:
    client, stubber = cloudfront
    expect_get(stubber, distribution_config(behaviour(in_distribution)))
    out = io.StringIO()
    argv = ["--distribution-id", DISTRIBUTION, "--path-pattern", given, "--function-version-arn", VERSION_4]
    assert run(argv, client=client, out=out) == 0
    assert f"behaviour {in_distribution!r}: viewer-request: (none) -> {VERSION_4}" in out.getvalue()


def test_a_behaviour_named_twice_is_changed_once(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    before = distribution_config(behaviour("/oauth_callback/*"))
    after = copy.deepcopy(before)
    after["CacheBehaviors"]["Items"][0] = behaviour("/oauth_callback/*", [association(VERSION_4)])
    expect_get(stubber, before, etag="ETAG-1")
    stubber.add_response(
        "update_distribution",
        {"ETag": "ETAG-2"},
        {"Id": DISTRIBUTION, "IfMatch": "ETAG-1", "DistributionConfig": after},
    )
    code, output = attach(client, "--path-pattern", "oauth_callback/*", "--apply")
    assert code == 0
    assert output.count("viewer-request: (none) ->") == 1


def test_the_default_behaviour_can_be_the_target(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    before = distribution_config(behaviour("/static/*"))
    after = copy.deepcopy(before)
    after["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = {"Quantity": 1, "Items": [association(VERSION_4)]}
    expect_get(stubber, before, etag="ETAG-1")
    stubber.add_response(
        "update_distribution",
        {"ETag": "ETAG-2"},
        {"Id": DISTRIBUTION, "IfMatch": "ETAG-1", "DistributionConfig": after},
    )
    out = io.StringIO()
    argv = ["--distribution-id", DISTRIBUTION, "--default-behavior", "--function-version-arn", VERSION_4, "--apply"]
    assert run(argv, client=client, out=out) == 0
    assert f"default behaviour ('*'): viewer-request: (none) -> {VERSION_4}" in out.getvalue()
    assert "the router runs on every request" in out.getvalue()


def test_the_pattern_star_names_the_default_behaviour(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    expect_get(stubber, distribution_config(behaviour("/static/*")))
    out = io.StringIO()
    argv = ["--distribution-id", DISTRIBUTION, "--path-pattern", "*", "--function-version-arn", VERSION_4]
    assert run(argv, client=client, out=out) == 0
    assert f"default behaviour ('*'): viewer-request: (none) -> {VERSION_4}" in out.getvalue()


def test_detach_from_the_default_behaviour(cloudfront: tuple[Any, Stubber]) -> None:
    client, stubber = cloudfront
    before = distribution_config(behaviour("/static/*"))
    before["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = {"Quantity": 1, "Items": [association(VERSION_3)]}
    after = copy.deepcopy(before)
    after["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = {"Quantity": 0}
    expect_get(stubber, before, etag="ETAG-1")
    stubber.add_response(
        "update_distribution",
        {"ETag": "ETAG-2"},
        {"Id": DISTRIBUTION, "IfMatch": "ETAG-1", "DistributionConfig": after},
    )
    out = io.StringIO()
    argv = ["--distribution-id", DISTRIBUTION, "--default-behavior", "--function-version-arn", VERSION_4]
    assert run([*argv, "--detach", "--apply"], client=client, out=out) == 0
    assert f"default behaviour ('*'): viewer-request: {VERSION_3} -> (none)" in out.getvalue()


def test_a_target_behaviour_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(["--distribution-id", DISTRIBUTION, "--function-version-arn", VERSION_4])
    assert exit_info.value.code == 2
    assert "--path-pattern PATTERN (repeatable) and/or --default-behavior" in capsys.readouterr().err
