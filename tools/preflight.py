"""Checks ``make deploy`` and ``make diff`` run before the CDK CLI touches AWS.

    python -m tools.preflight --stage NAME [--deploy]

1. ``--deploy``: the stage must not point at a placeholder host (``auth.example.com`` and the
   other reserved example domains of the sample stages): refused before anything reaches AWS,
   with the key to set. (The template carries the same guard as a CloudFormation rule, for a
   plain ``cdk deploy``.)
2. AWS credentials and a region must be there: instead of CDK's bare "Unable to resolve AWS
   account", say how to provide them, that the account must be bootstrapped (and us-east-1 too for
   the edge shapes), and where the runbook is (``junction_callback_router.preflight``, which
   ``junction-callback-router preflight`` runs for a library user's synthesized app).

Exit status: 0 when the deploy may go on, 1 when it may not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from callback_router_app.stages import CDK_JSON, Stage, StageError, load_stage
from junction_callback_router.defaults import EDGE_REGION
from junction_callback_router.preflight import check_credentials


def stage_regions(stage: Stage) -> list[str]:
    """Where ``stage`` deploys: its region (or none known), and us-east-1 too for the edge shapes."""
    regions = [stage.region] if stage.region else []
    if stage.is_edge and EDGE_REGION not in regions:
        regions.append(EDGE_REGION)
    return regions


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
    message = check_credentials(f"stage '{stage.name}'", stage_regions(stage), edge=stage.is_edge)
    if message is not None:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
