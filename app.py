"""CDK app: deploys the Junction callback router for one stage of ``cdk.json``.

    node_modules/.bin/cdk synth -c stage=NAME      (or: make synth STAGE=NAME)
    node_modules/.bin/cdk deploy --all -c stage=NAME

A mistake in the stage stops synth with one line naming the stage and the key.
See docs/DEPLOY.md for the runbook of each shape.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT / "lambda"), str(ROOT / "infra"), str(ROOT)]  # the router's own config parser validates stages

from aws_cdk import App  # noqa: E402

from callback_router_app.stacks import build_app  # noqa: E402
from callback_router_app.stages import StageError  # noqa: E402


def main() -> int:
    """Synthesize the selected stage; report a stage mistake without a traceback."""
    app = App()
    try:
        build_app(app)
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
