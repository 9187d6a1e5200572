"""``max_state_length``: a Link Token up to the limit is redirected, one character more is not.

Junction's tokens are a few hundred bytes; a company that raises the limit (up to 65536) must get
its longer tokens redirected, and a company that keeps the default must not.
"""

from __future__ import annotations

import base64
import json

import pytest

from callback_router.core.config import STATE_LENGTH_BOUNDS, ConfigError, parse_config
from callback_router.core.decision import ClaimsReader, Decision, Outcome, decide
from callback_router.core.link_token import DEFAULT_MAX_STATE_LENGTH, could_be_jwt, read_claims_lean, read_claims_pyjwt
from callback_router.core.uri import query_values

SANDBOX_US = "https://api.sandbox.tryvital.io/v2/link"
READERS = [read_claims_pyjwt, read_claims_lean]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def token_of_length(length: int) -> str:
    """A Link Token for sandbox-us of exactly ``length`` characters (a filler claim and the
    signature's size make up the difference; base64url cannot end a segment at every length)."""
    header = b64url(b'{"alg":"HS256","typ":"JWT"}')
    claims = {"aud": SANDBOX_US, "sub": "link-session-1", "team_id": "team-1", "user_id": "user-1", "pad": ""}
    bare = len(header) + len(b64url(json.dumps(claims).encode())) + 2
    near = max(0, (length - bare) * 3 // 4 - 4)  # each filler byte is 4/3 of a character
    for filler in range(near, near + 12):
        payload = b64url(json.dumps({**claims, "pad": "x" * filler}).encode())
        for signature_bytes in range(4):
            token = f"{header}.{payload}.{b64url(b's' * signature_bytes)}"
            if len(token) == length:
                return token
    raise AssertionError(f"no token of length {length}")


def redirect_outcome(max_state_length: int, state: str, read_claims: ClaimsReader) -> Decision:
    config = parse_config({"environments": ["sandbox-us"], "max_state_length": max_state_length})
    query = f"code=abc&state={state}"
    return decide(
        config,
        method="GET",
        provider="fitbit",
        state_values=query_values(query, "state"),
        raw_query=query,
        read_claims=read_claims,
    )


@pytest.mark.parametrize("read_claims", READERS, ids=["pyjwt", "lean"])
@pytest.mark.parametrize("limit", [*STATE_LENGTH_BOUNDS, 1000, DEFAULT_MAX_STATE_LENGTH, 8192])
def test_a_token_of_exactly_the_limit_is_redirected_and_one_longer_is_not(limit, read_claims):
    at_limit, over = token_of_length(limit), token_of_length(limit + 1)
    decision = redirect_outcome(limit, at_limit, read_claims)
    assert (decision.outcome, decision.location) == (
        Outcome.JUNCTION_REDIRECT,
        f"{SANDBOX_US}/connect/fitbit?code=abc&state={at_limit}",
    )
    refused = redirect_outcome(limit, over, read_claims)
    assert (refused.outcome, refused.reason, refused.location) == (Outcome.NOT_JUNCTION, "state_too_long", None)


@pytest.mark.parametrize("read_claims", READERS, ids=["pyjwt", "lean"])
def test_a_limit_above_the_default_lets_a_longer_link_token_through(read_claims):
    longer = token_of_length(6000)
    assert redirect_outcome(DEFAULT_MAX_STATE_LENGTH, longer, read_claims).outcome is Outcome.NOT_JUNCTION
    assert redirect_outcome(8192, longer, read_claims).outcome is Outcome.JUNCTION_REDIRECT


@pytest.mark.parametrize("read_claims", READERS, ids=["pyjwt", "lean"])
def test_each_reader_applies_the_limit_it_is_given(read_claims):
    token = token_of_length(5000)
    assert could_be_jwt(token, 5000) and not could_be_jwt(token, 4999)
    assert read_claims(token, 5000) is not None
    assert read_claims(token, 4999) is None
    assert read_claims(token_of_length(DEFAULT_MAX_STATE_LENGTH + 1)) is None  # the default limit
    assert read_claims(token_of_length(DEFAULT_MAX_STATE_LENGTH)) is not None


@pytest.mark.parametrize("limit", [256, 257, 65535, 65536])
def test_the_documented_bounds_themselves_are_accepted(limit):
    config = parse_config({"environments": ["sandbox-us"], "max_state_length": limit})
    assert config.max_state_length == limit


@pytest.mark.parametrize("limit", [0, 255, 65537, -4096])
def test_a_limit_outside_the_documented_bounds_is_refused(limit):
    with pytest.raises(ConfigError) as caught:
        parse_config({"environments": ["sandbox-us"], "max_state_length": limit})
    assert caught.value.key == "max_state_length"
    assert "from 256 to 65536" in str(caught.value)


def test_the_default_limit_is_4096():
    assert parse_config({"environments": ["sandbox-us"]}).max_state_length == DEFAULT_MAX_STATE_LENGTH == 4096
