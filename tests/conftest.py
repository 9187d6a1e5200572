"""Fixtures shared by every test package: Link Tokens and a Lambda context object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
import pytest

SIGNING_KEY = "functional-test-signing-key-at-least-32-bytes-long"
SANDBOX_US = "https://api.sandbox.tryvital.io/v2/link"
SANDBOX_US_JUNCTION = "https://api.sandbox.us.junction.com/v2/link"
SANDBOX_EU = "https://api.sandbox.eu.tryvital.io/v2/link"
PRODUCTION_US = "https://api.tryvital.io/v2/link"


def mint_token(aud: Any = SANDBOX_US, **extra: Any) -> str:
    """A Junction-shaped Link Token (HS256; the router never verifies the signature)."""
    claims = {"aud": aud, "sub": "link-session-1", "team_id": "team-1", "user_id": "user-1", **extra}
    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the Lambda runtime's context object that Powertools reads."""

    function_name: str = "callback-router"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:callback-router"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    log_group_name: str = "/aws/lambda/callback-router"
    log_stream_name: str = "2026/11/30/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 5000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()
