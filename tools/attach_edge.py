"""Attach the router's Lambda@Edge version to an existing CloudFront distribution's callback behaviour.

For the ``edge_function`` shape: the stack deploys the function (us-east-1) and outputs its version
ARN; this command puts that version at *viewer request* on the cache behaviour(s) for the callback
path(s). CloudFront is global: the command runs against CloudFront's single endpoint, whatever
region your credentials default to.

    .venv/bin/python -m tools.attach_edge --distribution-id E1EXAMPLE12345 \\
        --path-pattern '/oauth_callback/*' \\
        --function-version-arn arn:aws:lambda:us-east-1:123456789012:function:NAME:7

* Path patterns are compared the way CloudFront compares them: the leading ``/`` is optional
  (``oauth_callback/*`` and ``/oauth_callback/*`` name the same behaviour).
  https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CacheBehavior.html
* ``--default-behavior`` (or ``--path-pattern '*'``, the default behaviour's fixed pattern, when no
  other behaviour has it) targets the default cache behaviour: the router then sees every request
  to the distribution and passes the ones that are not callbacks through unchanged.
* Dry run by default: prints what would change and changes nothing.
* ``--apply``: ``GetDistributionConfig``, edit, ``UpdateDistribution`` with the ``ETag`` as
  ``IfMatch`` (CloudFront refuses the update if someone changed the distribution in between:
  run again). https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html
* Idempotent: when the behaviour already runs this version, nothing is sent.
* ``--detach``: removes the router's association again (rollback, teardown; or re-run with the
  previous version ARN, which the dry run prints as "was").

The behaviour must already exist (its origin and policies are the company's); the command refuses
to replace another function's viewer-request association, or to sit beside a CloudFront Function
on viewer request (CloudFront allows one of the two), unless told to with ``--replace-other``.
IAM permissions it needs: docs/DEPLOY.md, "Permissions".
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


DEFAULT_PATTERN = "*"
"""The default cache behaviour's path pattern, fixed by CloudFront."""


def normalise_pattern(pattern: str) -> str:
    """A path pattern as CloudFront compares it: the same with or without its leading ``/``."""
    return pattern[1:] if pattern.startswith("/") else pattern


def cache_behaviours(config: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every cache behaviour of a distribution config (or summary) with a label, the default one last.

    CloudFront tries the additional behaviours in order and falls back to the default one.
    """
    items = (config.get("CacheBehaviors") or {}).get("Items") or []
    found = [(f"behaviour {str(item['PathPattern'])!r}", item) for item in items]
    if config.get("DefaultCacheBehavior") is not None:
        found.append((f"default behaviour ({DEFAULT_PATTERN!r})", config["DefaultCacheBehavior"]))
    return found


def lambda_associations(config: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(behaviour label, event type, function version ARN)`` for every Lambda@Edge association."""
    return [
        (label, str(item.get("EventType")), str(item["LambdaFunctionARN"]))
        for label, behaviour in cache_behaviours(config)
        for item in (behaviour.get("LambdaFunctionAssociations") or {}).get("Items") or []
    ]


def find_behaviour(config: dict[str, Any], pattern: str) -> tuple[str, dict[str, Any]]:
    """The cache behaviour CloudFront knows by ``pattern``; ``*`` is the default one unless another has it.

    Raises:
        AttachError: no behaviour has that pattern.
    """
    wanted = normalise_pattern(pattern)
    behaviours = cache_behaviours(config)
    additional = behaviours[:-1] if config.get("DefaultCacheBehavior") is not None else behaviours
    for label, behaviour in additional:
        if normalise_pattern(str(behaviour["PathPattern"])) == wanted:
            return label, behaviour
    if wanted == DEFAULT_PATTERN and len(additional) < len(behaviours):
        return behaviours[-1]
    known = ", ".join(sorted(str(behaviour["PathPattern"]) for _, behaviour in additional)) or "none"
    raise AttachError(
        f"distribution has no cache behaviour for path pattern {pattern!r} (behaviours: {known}); "
        "create it first (your origin, CachingDisabled, AllViewerExceptHostHeader or AllViewer: "
        "docs/DEPLOY.md), target the default behaviour with --default-behavior, or use the 'edge' shape"
    )


def plan_changes(
    config: dict[str, Any],
    path_patterns: Sequence[str],
    version_arn: str,
    *,
    default_behavior: bool = False,
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
    targets = [find_behaviour(edited, pattern) for pattern in path_patterns]
    if default_behavior:
        targets.append(find_behaviour(edited, DEFAULT_PATTERN))
    unique = list({id(behaviour): (label, behaviour) for label, behaviour in targets}.values())
    changes: list[str] = []
    for label, behaviour in unique:
        associations = behaviour.setdefault("LambdaFunctionAssociations", {"Quantity": 0})
        items: list[dict[str, Any]] = list(associations.get("Items") or [])
        current = next((item for item in items if item.get("EventType") == VIEWER_REQUEST), None)
        current_arn = str(current["LambdaFunctionARN"]) if current else None
        ours = current_arn is not None and _function_name(current_arn) == name
        if detach:
            if current is None or not ours:
                continue
            items.remove(current)
            changes.append(f"{label}: viewer-request: {current_arn} -> (none)")
        else:
            if current_arn == version_arn:
                continue
            if current is not None and not ours and not replace_other:
                raise AttachError(
                    f"{label} already runs {current_arn} at viewer request; pass --replace-other to replace it"
                )
            cloudfront_functions = (behaviour.get("FunctionAssociations") or {}).get("Items") or []
            if any(item.get("EventType") == VIEWER_REQUEST for item in cloudfront_functions) and not replace_other:
                raise AttachError(
                    f"{label} has a CloudFront Function at viewer request; CloudFront allows "
                    "either that or Lambda@Edge there. Pass --replace-other to remove it"
                )
            if replace_other:
                kept = [item for item in cloudfront_functions if item.get("EventType") != VIEWER_REQUEST]
                behaviour["FunctionAssociations"] = {"Quantity": len(kept), **({"Items": kept} if kept else {})}
            if current is not None:
                items.remove(current)
            items.append({"LambdaFunctionARN": version_arn, "EventType": VIEWER_REQUEST, "IncludeBody": False})
            changes.append(f"{label}: viewer-request: {current_arn or '(none)'} -> {version_arn}")
        behaviour["LambdaFunctionAssociations"] = {"Quantity": len(items), **({"Items": items} if items else {})}
    return edited, changes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.attach_edge",
        description=__doc__.split("\n\n")[0],
        epilog="CloudFront is global (its API is served from us-east-1); the function version must be in us-east-1.",
    )
    parser.add_argument("--distribution-id", required=True, help="the existing CloudFront distribution")
    parser.add_argument(
        "--path-pattern",
        action="append",
        default=[],
        help="cache behaviour path pattern of a callback path, e.g. '/oauth_callback/*' (repeatable); "
        "the leading '/' is optional, as in CloudFront; '*' is the default behaviour unless another has it",
    )
    parser.add_argument(
        "--default-behavior",
        action="store_true",
        help="target the distribution's default cache behaviour (the router then sees every request)",
    )
    parser.add_argument("--function-version-arn", required=True, help="stack output EdgeFunctionVersionArn")
    parser.add_argument("--apply", action="store_true", help="update the distribution (default: dry run)")
    parser.add_argument("--detach", action="store_true", help="remove the router's association instead")
    parser.add_argument(
        "--replace-other", action="store_true", help="replace another function at viewer request on these behaviours"
    )
    args = parser.parse_args(argv)
    if not args.path_pattern and not args.default_behavior:
        parser.error("name the cache behaviour(s): --path-pattern PATTERN (repeatable) and/or --default-behavior")
    return args


def run(argv: Sequence[str] | None = None, *, client: Any = None, out: IO[str] = sys.stdout) -> int:
    """The command. ``client`` is a boto3 CloudFront client (tests pass a stubbed one)."""
    args = parse_args(argv)
    if client is None:
        import boto3  # type: ignore[import-untyped]  # deferred: tests inject a stubbed client

        # CloudFront is global; its API endpoint is in us-east-1 whatever the profile's region.
        client = boto3.client("cloudfront", region_name="us-east-1")
    response = client.get_distribution_config(Id=args.distribution_id)
    etag, config = response["ETag"], response["DistributionConfig"]
    try:
        edited, changes = plan_changes(
            config,
            args.path_pattern,
            args.function_version_arn,
            default_behavior=args.default_behavior,
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
    if args.default_behavior and not args.detach:
        print("note: on the default behaviour the router runs on every request to the distribution", file=out)
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
        f"{args.distribution_id}: updated (status {status}; CloudFront deploys to every edge in a few minutes: "
        f"aws cloudfront wait distribution-deployed --id {args.distribution_id})",
        file=out,
    )
    return 0


if __name__ == "__main__":
    sys.exit(run())
