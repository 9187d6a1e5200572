"""cdk-nag 3.x acknowledgements: every finding the constructs accept is acknowledged here, with a reason.

The library does not import cdk-nag (a development dependency of the standalone app): an
acknowledgement is CDK's own ``Validations`` API, which cdk-nag's plugin reads when an app adds it.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import Construct

NAG_PACK = "AwsSolutions"
RUNTIME_ACKNOWLEDGEMENT = (
    "The Python runtime is a deliberate, documented setting (python_runtime, checked against AWS's runtime "
    "tables at synth); cdk-nag's rule only knows the newest runtime, not the one the company chose."
)


def acknowledge(scope: Construct, rule: str, reason: str) -> None:
    """Acknowledge one cdk-nag 3.x finding on ``scope``, always with a reason.

    The id is the one cdk-nag prints ("Acknowledge with 'AwsSolutions::AwsSolutions-L1'"): the
    pack name, ``::``, then the rule (with ``[finding]`` for rules that report several).
    """
    if not reason.strip():
        raise ValueError(f"acknowledging {rule} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{NAG_PACK}::{rule}", reason=reason))
