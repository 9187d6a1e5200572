"""Attach the router's Lambda@Edge version to an existing CloudFront distribution's callback behaviour.

For the ``edge_function`` shape: the stack deploys the function and outputs its version ARN; this
command puts that version at *viewer request* on the cache behaviour(s) for the callback path(s).

    .venv/bin/python -m tools.attach_edge --distribution-id E1EXAMPLE12345 \\
        --path-pattern '/oauth_callback/*' \\
        --function-version-arn arn:aws:lambda:us-east-1:123456789012:function:NAME:7

* Dry run by default: prints what would change and changes nothing.
* ``--apply``: ``GetDistributionConfig``, edit, ``UpdateDistribution`` with the ``ETag`` as
  ``IfMatch`` (CloudFront refuses the update if someone changed the distribution in between:
  run again). https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html
* Idempotent: when the behaviour already runs this version, nothing is sent.
* ``--detach``: removes the router's association again (rollback; or re-run with the previous
  version ARN, which the dry run prints as "was").

The behaviour must already exist (its origin and policies are the company's); the command refuses
to replace another function's viewer-request association, or to sit beside a CloudFront Function
on viewer request (CloudFront allows one of the two), unless told to with ``--replace-other``.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections.abc import Sequence
from typing import IO, Any

VIEWER_REQUEST = "viewer-request"
VERSION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:us-east-1:[0-9]{12}:function:([A-Za-z0-9_-]{1,64}):([0-9]+)")
"""Lambda@Edge needs a numbered version of a function in us-east-1 (no $LATEST, no alias)."""


class AttachError(Exception):
    """A refusal with a message for the operator."""


def _function_name(arn: str) -> str | None:
    match = VERSION_ARN.fullmatch(arn)
    return match.group(1) if match else None


def _behaviours(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = (config.get("CacheBehaviors") or {}).get("Items") or []
    return {str(item["PathPattern"]): item for item in items}


def plan_changes(
    config: dict[str, Any],
    path_patterns: Sequence[str],
    version_arn: str,
    *,
    detach: bool = False,
    replace_other: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """Return the edited distribution config and one line per change (empty: nothing to do).

    Raises:
        AttachError: a behaviour is missing, or another function holds viewer request.
    """
    name = _function_name(version_arn)
    if name is None:
        raise AttachError(
            f"{version_arn!r} is not a numbered Lambda version ARN in us-east-1 "
            "(arn:aws:lambda:us-east-1:ACCOUNT:function:NAME:VERSION); see the stack output EdgeFunctionVersionArn"
        )
    edited = copy.deepcopy(config)
    behaviours = _behaviours(edited)
    changes: list[str] = []
    for pattern in path_patterns:
        behaviour = behaviours.get(pattern)
        if behaviour is None:
            known = ", ".join(sorted(behaviours)) or "none"
            raise AttachError(
                f"distribution has no cache behaviour for path pattern {pattern!r} (behaviours: {known}); "
                "create it first (origin, CachingDisabled, AllViewer) or use the 'edge' shape"
            )
        associations = behaviour.setdefault("LambdaFunctionAssociations", {"Quantity": 0})
        items: list[dict[str, Any]] = list(associations.get("Items") or [])
        current = next((item for item in items if item.get("EventType") == VIEWER_REQUEST), None)
        current_arn = str(current["LambdaFunctionARN"]) if current else None
        ours = current_arn is not None and _function_name(current_arn) == name
        if detach:
            if current is None or not ours:
                continue
            items.remove(current)
            changes.append(f"behaviour {pattern!r}: viewer-request: {current_arn} -> (none)")
        else:
            if current_arn == version_arn:
                continue
            if current is not None and not ours and not replace_other:
                raise AttachError(
                    f"behaviour {pattern!r} already runs {current_arn} at viewer request; "
                    "pass --replace-other to replace it"
                )
            cloudfront_functions = (behaviour.get("FunctionAssociations") or {}).get("Items") or []
            if any(item.get("EventType") == VIEWER_REQUEST for item in cloudfront_functions) and not replace_other:
                raise AttachError(
                    f"behaviour {pattern!r} has a CloudFront Function at viewer request; CloudFront allows "
                    "either that or Lambda@Edge there. Pass --replace-other to remove it"
                )
            if replace_other:
                kept = [item for item in cloudfront_functions if item.get("EventType") != VIEWER_REQUEST]
                behaviour["FunctionAssociations"] = {"Quantity": len(kept), **({"Items": kept} if kept else {})}
            if current is not None:
                items.remove(current)
            items.append({"LambdaFunctionARN": version_arn, "EventType": VIEWER_REQUEST, "IncludeBody": False})
            changes.append(f"behaviour {pattern!r}: viewer-request: {current_arn or '(none)'} -> {version_arn}")
        behaviour["LambdaFunctionAssociations"] = {"Quantity": len(items), **({"Items": items} if items else {})}
    return edited, changes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m tools.attach_edge", description=__doc__.split("\n\n")[0])
    parser.add_argument("--distribution-id", required=True, help="the existing CloudFront distribution")
    parser.add_argument(
        "--path-pattern",
        required=True,
        action="append",
        help="cache behaviour path pattern of a callback path, e.g. '/oauth_callback/*' (repeatable)",
    )
    parser.add_argument("--function-version-arn", required=True, help="stack output EdgeFunctionVersionArn")
    parser.add_argument("--apply", action="store_true", help="update the distribution (default: dry run)")
    parser.add_argument("--detach", action="store_true", help="remove the router's association instead")
    parser.add_argument(
        "--replace-other", action="store_true", help="replace another function at viewer request on these behaviours"
    )
    return parser.parse_args(argv)


def run(argv: Sequence[str] | None = None, *, client: Any = None, out: IO[str] = sys.stdout) -> int:
    """The command. ``client`` is a boto3 CloudFront client (tests pass a stubbed one)."""
    args = parse_args(argv)
    if client is None:
        import boto3  # type: ignore[import-untyped]  # deferred: tests inject a stubbed client

        client = boto3.client("cloudfront")
    response = client.get_distribution_config(Id=args.distribution_id)
    etag, config = response["ETag"], response["DistributionConfig"]
    try:
        edited, changes = plan_changes(
            config,
            args.path_pattern,
            args.function_version_arn,
            detach=args.detach,
            replace_other=args.replace_other,
        )
    except AttachError as error:
        print(f"error: {error}", file=out)
        return 2
    if not changes:
        print(f"{args.distribution_id}: nothing to change (already as requested)", file=out)
        return 0
    for line in changes:
        print(f"{args.distribution_id}: {line}", file=out)
    if not args.apply:
        print("dry run: nothing changed; run again with --apply to update the distribution", file=out)
        return 0
    try:
        updated = client.update_distribution(Id=args.distribution_id, IfMatch=etag, DistributionConfig=edited)
    except client.exceptions.PreconditionFailed:
        print(
            f"error: {args.distribution_id} changed since it was read (ETag {etag}); nothing applied, run again",
            file=out,
        )
        return 3
    status = updated.get("Distribution", {}).get("Status", "unknown")
    print(
        f"{args.distribution_id}: updated (status {status}; CloudFront deploys to every edge in a few minutes)",
        file=out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(run())
