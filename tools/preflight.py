"""Checks ``make deploy`` and ``make diff`` run before the CDK CLI touches AWS.

    python -m tools.preflight --stage NAME [--deploy]

1. ``--deploy``: the stage must not point at a placeholder host (``auth.example.com`` and the
   other reserved example domains of the sample stages): refused before anything reaches AWS,
   with the key to set. (The template carries the same guard as a CloudFormation rule, for a
   plain ``cdk deploy``.)
2. AWS credentials and a region must be there: instead of CDK's bare "Unable to resolve AWS
   account", say how to provide them, that the account must be bootstrapped (and us-east-1 too for
   the edge shapes), and where the runbook is.

Exit status: 0 when the deploy may go on, 1 when it may not.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from callback_router_app.stages import CDK_JSON, Stage, StageError, load_stage
from junction_callback_router.defaults import EDGE_REGION

RUNBOOK = "docs/DEPLOY.md"


def credentials_help(stage: Stage, problem: str) -> str:
    """What to do when no usable AWS credentials or region were found."""
    region = stage.region or "REGION"
    bootstrap = [f"npx cdk bootstrap aws://ACCOUNT/{region}"]
    if stage.is_edge and region != EDGE_REGION:
        bootstrap.append(f"npx cdk bootstrap aws://ACCOUNT/{EDGE_REGION}")
    lines = [
        f"error: stage '{stage.name}': no usable AWS credentials ({problem}).",
        "Provide them in one of the ways the AWS CLI and the CDK read:",
        "  - a named profile:      export AWS_PROFILE=my-profile   (see ~/.aws/config)",
        "  - IAM Identity Center:  aws configure sso   then   aws sso login --profile my-profile",
        "  - environment:          AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)",
        "and a region (AWS_REGION, the profile's region, or 'region' in the stage).",
        "The account must be bootstrapped for the CDK once per region:",
        *[f"  {command}" for command in bootstrap],
    ]
    if stage.is_edge:
        lines.append(f"Edge stages deploy to {EDGE_REGION} (Lambda@Edge lives there), whatever AWS_REGION says.")
    lines.append(f"Step by step: {RUNBOOK}.")
    return "\n".join(lines)


def check_credentials(stage: Stage, environ: Mapping[str, str] = os.environ) -> str | None:
    """``None`` when STS answers for the current credentials, else the message to print."""
    import boto3  # type: ignore[import-untyped]
    import botocore.config  # type: ignore[import-untyped]
    import botocore.exceptions  # type: ignore[import-untyped]

    region = stage.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    try:
        session = boto3.session.Session()
        region = region or session.region_name
        if not region:
            return credentials_help(stage, "no region configured")
        client = session.client(
            "sts",
            region_name=region,
            config=botocore.config.Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 1}),
        )
        client.get_caller_identity()
    except botocore.exceptions.BotoCoreError as error:  # no credentials, expired SSO token, no network, ...
        return credentials_help(stage, type(error).__name__)
    except botocore.exceptions.ClientError as error:  # e.g. ExpiredToken, InvalidClientTokenId
        return credentials_help(stage, error.response.get("Error", {}).get("Code", "ClientError"))
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the checks; print what is wrong and what to do."""
    parser = argparse.ArgumentParser(prog="python -m tools.preflight", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--cdk-json", type=Path, default=CDK_JSON, help=argparse.SUPPRESS)
    parser.add_argument("--deploy", action="store_true", help="also refuse placeholder hosts (make deploy)")
    args = parser.parse_args(argv)
    try:
        stage = load_stage(args.stage, args.cdk_json)
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.deploy:
        problems = stage.placeholder_problems()
        if problems:
            print(f"error: stage '{stage.name}' still points at placeholders; nothing was deployed:", file=sys.stderr)
            for problem in problems:
                print(f"  - {problem}", file=sys.stderr)
            return 1
    message = check_credentials(stage)
    if message is not None:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
