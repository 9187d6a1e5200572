"""What stands in for a value only known at deploy time when a config document is validated.

Shared by the constructs (``options.py``, which sees CDK tokens) and by the command line
(``cdk_out.py``, which sees the synthesized template's expressions): both validate with the same
stand-ins, so a document accepted at synth is accepted when read back. No ``aws_cdk`` import here.
"""

from __future__ import annotations

TOKEN_STAND_IN = "token.deploy-time.value"  # noqa: S105 -- not a secret: a stand-in host name
"""Put in place of a token for validation: a valid host and a valid path segment."""
TOKEN_ARN_STAND_IN = "arn:aws:lambda:us-east-1:123456789012:function:deploy-time-value"  # noqa: S105 -- an ARN
"""Put in place of a function ARN only known at deploy time (a function, alias or version of this app)."""
