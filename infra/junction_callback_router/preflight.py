"""The deploy preflight's credentials check: before the CDK CLI touches AWS, say what is missing.

Shared by ``make deploy``/``make diff`` (``tools/preflight.py``, a ``cdk.json`` stage) and by
``junction-callback-router preflight`` (a library user's synthesized app). Instead of CDK's bare
"Unable to resolve AWS account" it says how to provide credentials and a region, that each
region must be bootstrapped, and where the runbook is; when STS cannot be reached at all it says
that the network or the endpoint is the problem, not the credentials.

``boto3`` is imported only when the check runs; nothing here imports ``aws_cdk``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

RUNBOOK = "docs/DEPLOY.md"
EDGE_NOTE = "Edge stages deploy to us-east-1 (Lambda@Edge lives there), whatever AWS_REGION says."


def credentials_help(label: str, problem: str, regions: Sequence[str], *, edge: bool = False) -> str:
    """What to do when no usable AWS credentials or region were found (``label``: what is deployed)."""
    lines = [
        f"error: {label}: no usable AWS credentials ({problem}).",
        "Provide them in one of the ways the AWS CLI and the CDK read:",
        "  - a named profile:      export AWS_PROFILE=my-profile   (see ~/.aws/config)",
        "  - IAM Identity Center:  aws configure sso   then   aws sso login --profile my-profile",
        "  - environment:          AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)",
        "and a region (AWS_REGION, the profile's region, or the stack's env).",
        "The account must be bootstrapped for the CDK once per region:",
        *[f"  npx cdk bootstrap aws://ACCOUNT/{region}" for region in dict.fromkeys(regions or ["REGION"])],
    ]
    if edge:
        lines.append(EDGE_NOTE)
    lines.append(f"Step by step: {RUNBOOK}.")
    return "\n".join(lines)


def unreachable_help(label: str, problem: str, region: str, endpoint: str | None) -> str:
    """What to do when STS could not be reached: the credentials were never even tried."""
    where = endpoint or f"the STS endpoint of {region}"
    return "\n".join(
        [
            f"error: {label}: AWS STS could not be reached at {where} ({problem}); the credentials were not checked.",
            "This is the network or the endpoint, not the credentials: check the connection, a proxy "
            "(HTTPS_PROXY), a firewall, and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS if set.",
            f"Step by step: {RUNBOOK}.",
        ]
    )


def check_credentials(
    label: str,
    regions: Sequence[str],
    *,
    edge: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> str | None:
    """``None`` when STS answers for the current credentials, else the message to print.

    ``regions``: where the app deploys (the first one is asked; empty: the environment's region).
    """
    import boto3  # type: ignore[import-untyped]
    import botocore.config  # type: ignore[import-untyped]
    import botocore.exceptions  # type: ignore[import-untyped]

    region = next(iter(regions), None) or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    endpoint = None
    try:
        session = boto3.session.Session()
        region = region or session.region_name
        if not region:
            return credentials_help(label, "no region configured", regions, edge=edge)
        client = session.client(
            "sts",
            region_name=region,
            config=botocore.config.Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 1}),
        )
        endpoint = client.meta.endpoint_url
        client.get_caller_identity()
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as error:
        # Raised before any credential is looked at by AWS: saying "no usable credentials" here
        # sends the user after the wrong problem.
        return unreachable_help(label, type(error).__name__, region or "", endpoint)
    except botocore.exceptions.BotoCoreError as error:  # no credentials, expired SSO token, ...
        return credentials_help(label, type(error).__name__, regions or [region or "REGION"], edge=edge)
    except botocore.exceptions.ClientError as error:  # e.g. ExpiredToken, InvalidClientTokenId
        code = error.response.get("Error", {}).get("Code", "ClientError")
        return credentials_help(label, code, regions or [region or "REGION"], edge=edge)
    return None
