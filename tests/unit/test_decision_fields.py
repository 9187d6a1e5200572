"""What a decision carries besides its outcome: the provider and environment the log line shows.

An operator reads ``provider`` and ``environment`` from the routed log line to tell whose callback
fell through and why (``observability`` logs them); a decision that dropped them would still
route correctly and leave the operator blind.
"""

from __future__ import annotations

import pytest

from callback_router.core.config import parse_config
from callback_router.core.decision import Decision, Outcome, decide
from callback_router.core.link_token import read_claims_lean, read_claims_pyjwt
from callback_router.core.uri import query_values
from tests.support.tokens import mint, mint_token

SANDBOX_US = "https://api.sandbox.tryvital.io/v2/link"
PRODUCTION_US = "https://api.tryvital.io/v2/link"
TEAM = "0c8b9e3a-1111-4222-8333-444455556666"
CONFIG = parse_config({"environments": ["sandbox-us"], "teams": [TEAM]})


def token(aud: str = SANDBOX_US, **extra: object) -> str:
    """A Link Token of the accepted team unless ``team_id`` says otherwise."""
    return mint_token(aud, **{"team_id": TEAM, **extra})


def decided(query: str, *, method: str = "GET", provider: str | None = "oura", pyjwt: bool = True) -> Decision:
    return decide(
        CONFIG,
        method=method,
        provider=provider,
        state_values=query_values(query, "state"),
        raw_query=query,
        read_claims=read_claims_pyjwt if pyjwt else read_claims_lean,
    )


@pytest.mark.parametrize("pyjwt", [True, False], ids=["pyjwt", "lean"])
@pytest.mark.parametrize(
    ("query", "method", "expected"),
    [
        (f"state={token()}", "POST", Decision(Outcome.NOT_JUNCTION, "method_not_redirected", "oura")),
        ("code=1", "GET", Decision(Outcome.NOT_JUNCTION, "no_state", "oura")),
        ("state=a&state=b", "GET", Decision(Outcome.NOT_JUNCTION, "repeated_state", "oura")),
        (f"state={'e' * 5000}", "GET", Decision(Outcome.NOT_JUNCTION, "state_too_long", "oura")),
        ("state=success", "GET", Decision(Outcome.NOT_JUNCTION, "state_not_a_jwt", "oura")),
        (f"state={token('https://auth.example.com')}", "GET",
         Decision(Outcome.NOT_JUNCTION, "audience_not_junction", "oura")),
        (f"state={token(PRODUCTION_US)}", "GET",
         Decision(Outcome.FOREIGN_ENVIRONMENT, "environment_not_accepted", "oura", "production-us")),
        (f"state={token(team_id='team-2')}", "GET",
         Decision(Outcome.FOREIGN_TEAM, "team_not_accepted", "oura", "sandbox-us", team="team-2")),
        (f"state={token(team_id=7)}", "GET",
         Decision(Outcome.FOREIGN_TEAM, "team_not_accepted", "oura", "sandbox-us", team=None)),
        (f"state={mint({'aud': SANDBOX_US})}", "GET",
         Decision(Outcome.FOREIGN_TEAM, "team_not_accepted", "oura", "sandbox-us", team=None)),
        (f"code=1&state={token()}", "HEAD",
         Decision(Outcome.JUNCTION_REDIRECT, "accepted_audience", "oura", "sandbox-us",
                  f"{SANDBOX_US}/connect/oura?code=1&state={token()}")),
    ],
)  # fmt: skip
def test_each_decision_names_the_provider_and_environment_it_saw(query, method, expected, pyjwt):
    assert decided(query, method=method, pyjwt=pyjwt) == expected


def test_an_invalid_provider_is_not_repeated_but_the_environment_is():
    decision = decided(f"state={token()}", provider="Oura")
    assert decision == Decision(Outcome.INVALID_PROVIDER, "provider_not_allowed", None, "sandbox-us")


def test_without_a_route_there_is_nothing_to_name():
    assert decided(f"state={token()}", provider=None) == Decision(Outcome.NOT_A_CALLBACK, "no_route")
