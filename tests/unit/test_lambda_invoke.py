"""The invoke fallback's SigV4 signer against botocore's ``SigV4Auth`` on the same requests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials as BotoCredentials  # type: ignore[import-untyped]

from callback_router.fallbacks.lambda_client import (
    Credentials,
    InvokeFailed,
    endpoint_url,
    event_bytes,
    invoke_path,
    sign,
)
from tools.local_lambda import FixedTimeSigV4

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:company-callback"
NOW = datetime(2026, 12, 4, 19, 30, 5, tzinfo=UTC)


def _botocore_headers(url: str, headers: dict[str, str], body: bytes, credentials: Credentials) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    boto = BotoCredentials(credentials.access_key, credentials.secret_key, credentials.token)
    FixedTimeSigV4(boto, "lambda", "eu-west-1", NOW.replace(tzinfo=None)).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize(
    ("function_arn", "endpoint", "token"),
    [
        (ARN, "https://lambda.eu-west-1.amazonaws.com", None),
        (ARN + ":live", "https://lambda.eu-west-1.amazonaws.com", "IQoJb3JpZ2luX2VjE//session+token=="),
        (ARN + ":$LATEST", "http://127.0.0.1:45123", "FwoGZXIvYXdzEJr"),
        (ARN + ":7", "https://vpce-0a1b.lambda.eu-west-1.vpce.amazonaws.com", "t"),
    ],
)
def test_signature_is_byte_equal_to_botocore(function_arn: str, endpoint: str, token: str | None) -> None:
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    url = endpoint + invoke_path(function_arn)
    body = event_bytes({"rawQueryString": "code=abc&state=xyz", "body": "caf\u00e9 \ud800"})
    headers = {"X-Amz-Invocation-Type": "RequestResponse", "Content-Type": "application/json"}
    ours = sign("POST", url, headers, body, region="eu-west-1", credentials=credentials, now=NOW)
    theirs = _botocore_headers(url, headers, body, credentials)
    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Date"] == theirs["X-Amz-Date"] == "20261204T193005Z"
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token") == token


def test_the_qualifier_is_percent_encoded_in_the_path() -> None:
    assert invoke_path(ARN + ":$LATEST") == (
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Acompany-callback"
        "%3A%24LATEST/invocations"
    )


def test_endpoint_as_botocore_chooses_it() -> None:
    assert endpoint_url(ARN, {}) == "https://lambda.eu-west-1.amazonaws.com"
    assert endpoint_url(ARN, {"AWS_ENDPOINT_URL": "http://127.0.0.1:9/"}) == "http://127.0.0.1:9"
    both = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:8"}
    assert endpoint_url(ARN, both) == "http://127.0.0.1:8"
    china = "arn:aws-cn:lambda:cn-north-1:123456789012:function:f"
    assert endpoint_url(china, {}) == "https://lambda.cn-north-1.amazonaws.com.cn"


def test_no_credentials_is_a_clear_failure() -> None:
    with pytest.raises(InvokeFailed, match="no AWS credentials"):
        Credentials.from_environ({"AWS_ACCESS_KEY_ID": "AKID"})


@pytest.mark.parametrize(
    ("partition", "region"),
    [
        ("aws", "us-east-1"),
        ("aws-us-gov", "us-gov-west-1"),
        ("aws-cn", "cn-north-1"),
        ("aws-iso", "us-iso-east-1"),
        ("aws-iso-b", "us-isob-east-1"),
        ("aws-iso-e", "eu-isoe-west-1"),
        ("aws-iso-f", "us-isof-south-1"),
        ("aws-eusc", "eusc-de-east-1"),
    ],
)
def test_the_standard_endpoint_of_every_partition_is_botocores(partition: str, region: str) -> None:
    import botocore.session  # type: ignore[import-untyped]

    # The config takes a function ARN of any partition: not every partition is under amazonaws.com.
    client = botocore.session.get_session().create_client(
        "lambda", region_name=region, aws_access_key_id="AKID", aws_secret_access_key="secret"
    )
    arn = f"arn:{partition}:lambda:{region}:123456789012:function:f"
    assert endpoint_url(arn, {}) == client.meta.endpoint_url
