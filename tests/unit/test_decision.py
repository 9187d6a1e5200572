"""The routing decision, table-driven, plus the properties a user relies on."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callback_router.core.config import RouterConfig, parse_config
from callback_router.core.decision import Decision, Outcome, decide
from callback_router.core.environments import JUNCTION_ENVIRONMENTS
from callback_router.core.link_token import read_claims_lean, read_claims_pyjwt
from callback_router.core.routes import is_valid_slug
from callback_router.core.uri import query_values
from tests.support.tokens import mint, mint_token

SANDBOX_US = "https://api.sandbox.tryvital.io/v2/link"
SANDBOX_US_JUNCTION = "https://api.sandbox.us.junction.com/v2/link"
PRODUCTION_US = "https://api.tryvital.io/v2/link"


def route(
    config: RouterConfig, query: str, *, provider: str | None = "fitbit", method: str = "GET", pyjwt: bool = True
) -> Decision:
    return decide(
        config,
        method=method,
        provider=provider,
        state_values=query_values(query, "state"),
        raw_query=query,
        read_claims=read_claims_pyjwt if pyjwt else read_claims_lean,
    )


TOKEN = mint_token(SANDBOX_US)


@pytest.mark.parametrize("pyjwt", [True, False], ids=["pyjwt", "lean"])
@pytest.mark.parametrize(
    ("query", "method", "provider", "outcome", "reason", "location"),
    [
        (f"code=abc&state={TOKEN}", "GET", "fitbit", Outcome.JUNCTION_REDIRECT, "accepted_audience",
         f"{SANDBOX_US}/connect/fitbit?code=abc&state={TOKEN}"),
        (f"state={TOKEN}&code=abc&scope=activity%20sleep", "HEAD", "oura", Outcome.JUNCTION_REDIRECT,
         "accepted_audience", f"{SANDBOX_US}/connect/oura?state={TOKEN}&code=abc&scope=activity%20sleep"),
        (f"error=access_denied&error_description=User+denied&state={TOKEN}", "GET", "strava",
         Outcome.JUNCTION_REDIRECT, "accepted_audience",
         f"{SANDBOX_US}/connect/strava?error=access_denied&error_description=User+denied&state={TOKEN}"),
        (f"code=abc&state={TOKEN}", "POST", "fitbit", Outcome.NOT_JUNCTION, "method_not_redirected", None),
        (f"code=abc&state={TOKEN}", "GET", None, Outcome.NOT_A_CALLBACK, "no_route", None),
        (f"code=abc&state={TOKEN}", "GET", "Fitbit", Outcome.INVALID_PROVIDER, "provider_not_allowed", None),
        (f"code=abc&state={TOKEN}", "GET", "fit/bit", Outcome.INVALID_PROVIDER, "provider_not_allowed", None),
        (f"code=abc&state={TOKEN}&state={TOKEN}", "GET", "fitbit", Outcome.NOT_JUNCTION, "repeated_state", None),
        ("code=abc", "GET", "fitbit", Outcome.NOT_JUNCTION, "no_state", None),
        ("state=success", "GET", "fitbit", Outcome.NOT_JUNCTION, "state_not_a_jwt", None),
        ("state=error&error_type=provider_credential_error", "GET", "fitbit", Outcome.NOT_JUNCTION,
         "state_not_a_jwt", None),
        ("oauth_token=t&oauth_verifier=v", "GET", "garmin", Outcome.NOT_JUNCTION, "no_state", None),
        (f"code=abc&state={'e' * 5000}", "GET", "fitbit", Outcome.NOT_JUNCTION, "state_too_long", None),
        (f"code=abc&state={mint_token(PRODUCTION_US)}", "GET", "fitbit", Outcome.FOREIGN_ENVIRONMENT,
         "environment_not_accepted", None),
        (f"code=abc&state={mint_token('https://auth.example.com')}", "GET", "fitbit", Outcome.NOT_JUNCTION,
         "audience_not_junction", None),
        (f"code=abc&state={mint_token(SANDBOX_US + '/')}", "GET", "fitbit", Outcome.NOT_JUNCTION,
         "audience_not_junction", None),
        (f"code=abc&state={mint_token(SANDBOX_US.upper())}", "GET", "fitbit", Outcome.NOT_JUNCTION,
         "audience_not_junction", None),
        (f"code=abc&state={mint({'sub': 'no-aud'})}", "GET", "fitbit", Outcome.NOT_JUNCTION,
         "audience_not_junction", None),
    ],
)  # fmt: skip
def test_decision_table(sandbox_config, query, method, provider, outcome, reason, location, pyjwt):
    decision = route(sandbox_config, query, provider=provider, method=method, pyjwt=pyjwt)
    assert (decision.outcome, decision.reason, decision.location) == (outcome, reason, location)


def test_junction_com_audience_redirects_to_the_same_family(sandbox_config):
    decision = route(sandbox_config, f"state={mint_token(SANDBOX_US_JUNCTION)}")
    assert decision.location == f"{SANDBOX_US_JUNCTION}/connect/fitbit?state={mint_token(SANDBOX_US_JUNCTION)}"
    assert decision.environment == "sandbox-us"


def test_list_audience_redirects_to_the_first_accepted_entry(sandbox_config):
    token = mint_token(["https://evil.example/v2/link", PRODUCTION_US, SANDBOX_US])
    decision = route(sandbox_config, f"state={token}")
    assert decision.outcome is Outcome.JUNCTION_REDIRECT
    assert decision.location is not None and decision.location.startswith(f"{SANDBOX_US}/connect/fitbit?")


def test_foreign_environment_names_the_environment(sandbox_config):
    decision = route(sandbox_config, f"state={mint_token('https://api.eu.junction.com/v2/link')}")
    assert (decision.outcome, decision.environment) == (Outcome.FOREIGN_ENVIRONMENT, "production-eu")


def test_provider_allowlist_and_extra_environments():
    config = parse_config(
        {"environments": [], "extra_environments": {"local": "http://127.0.0.1:9/v2/link"}, "providers": ["oura"]}
    )
    token = mint_token("http://127.0.0.1:9/v2/link")
    assert route(config, f"state={token}", provider="oura").location == (
        f"http://127.0.0.1:9/v2/link/connect/oura?state={token}"
    )
    assert route(config, f"state={token}", provider="fitbit").outcome is Outcome.INVALID_PROVIDER
    # every documented Junction environment is foreign to this deployment
    assert route(config, f"state={mint_token(SANDBOX_US)}", provider="oura").outcome is Outcome.FOREIGN_ENVIRONMENT


def test_header_breaking_characters_are_percent_encoded(sandbox_config):
    query = f"code=a\r\nSet-Cookie: x=1&name=J\u00f6rg <b>&state={TOKEN}"
    location = route(sandbox_config, query).location
    assert location == (
        f"{SANDBOX_US}/connect/fitbit?code=a%0D%0ASet-Cookie:%20x=1&name=J%C3%B6rg%20%3Cb%3E&state={TOKEN}"
    )


SANDBOX = parse_config({"environments": ["sandbox-us", "sandbox-eu"]})
ACCEPTED = {url for env in ("sandbox-us", "sandbox-eu") for url in JUNCTION_ENVIRONMENTS[env]}
ALL_JUNCTION = [url for urls in JUNCTION_ENVIRONMENTS.values() for url in urls]
URI_QUERY_CHARS = string.ascii_letters + string.digits + "-._~:/?[]@!$&'()*+,;=%"
audience_values = st.one_of(
    st.sampled_from(ALL_JUNCTION),
    st.text(max_size=40),
    st.lists(st.sampled_from([*ALL_JUNCTION, "https://evil.example/v2/link"]) | st.text(max_size=10), max_size=3),
    st.integers(),
    st.none(),
)
providers = st.one_of(st.none(), st.sampled_from(["fitbit", "whoop_v2", "dexcom_v3"]), st.text(max_size=70))


@st.composite
def callbacks(draw: st.DrawFn) -> tuple[str, str, str | None]:
    """(method, raw query, provider) with a Junction-ish, garbage or absent state."""
    state = draw(
        st.one_of(
            st.builds(lambda aud: mint_token(aud), audience_values),
            st.text(max_size=80),
            st.text(alphabet=URI_QUERY_CHARS, max_size=80),
        )
    )
    before = draw(st.text(max_size=60))
    after = draw(st.text(alphabet=URI_QUERY_CHARS, max_size=60))
    query = draw(
        st.sampled_from([f"{before}&state={state}&{after}", f"state={state}", before, f"{after}&state={state}"])
    )
    return draw(st.sampled_from(["GET", "HEAD", "POST", "get", "OPTIONS"])), query, draw(providers)


@settings(max_examples=600)
@given(callbacks(), st.booleans())
def test_never_raises_and_only_redirects_to_an_accepted_base(callback, pyjwt):
    method, query, provider = callback
    decision = route(SANDBOX, query, provider=provider, method=method, pyjwt=pyjwt)
    if decision.outcome is Outcome.JUNCTION_REDIRECT:
        assert decision.location is not None
        base, _, rest = decision.location.partition("/connect/")
        assert base in ACCEPTED
        slug = rest.split("?", 1)[0]
        assert is_valid_slug(slug) and slug == provider
        states = query_values(query, "state")
        assert len(states) == 1
        assert base in (read_claims_pyjwt(states[0], 4096) or {}).get("aud", [])
    else:
        assert decision.location is None
    if decision.location is not None:
        assert not re.search(r"[\x00-\x20\x7f-\U0010ffff\"<>\\^`{|}#]", decision.location.split("?", 1)[1])


@settings(max_examples=400)
@given(st.text(alphabet=URI_QUERY_CHARS.replace("&", ""), max_size=200), st.sampled_from(sorted(ACCEPTED)))
def test_raw_query_of_uri_characters_is_forwarded_byte_for_byte(noise, audience):
    query = f"code={noise}&state={mint_token(audience)}&x={noise}"
    decision = route(SANDBOX, query)
    assert decision.location is not None
    assert decision.location.split("?", 1)[1] == query


TEAM_1, TEAM_2 = "0c8b9e3a-1111-4222-8333-444455556666", "0c8b9e3a-2222-4222-8333-444455556666"
TEAMS_CONFIG = parse_config({"environments": ["sandbox-us"], "teams": [TEAM_1, TEAM_2]})


@pytest.mark.parametrize(
    ("claims", "outcome", "team"),
    [
        ({"team_id": TEAM_1}, Outcome.JUNCTION_REDIRECT, None),
        ({"team_id": TEAM_2}, Outcome.JUNCTION_REDIRECT, None),
        ({"team_id": "team-3"}, Outcome.FOREIGN_TEAM, "team-3"),
        ({"team_id": TEAM_1.upper()}, Outcome.FOREIGN_TEAM, TEAM_1.upper()),
        ({"team_id": None}, Outcome.FOREIGN_TEAM, None),
        ({"team_id": [TEAM_1]}, Outcome.FOREIGN_TEAM, None),
        ({"team_id": 1}, Outcome.FOREIGN_TEAM, None),
    ],
)
def test_teams_allowlist_redirects_only_the_listed_teams(claims, outcome, team):
    decision = route(TEAMS_CONFIG, f"code=1&state={mint_token(SANDBOX_US, **claims)}")
    assert decision.outcome is outcome
    if outcome is Outcome.FOREIGN_TEAM:
        assert (decision.reason, decision.environment, decision.location, decision.team) == (
            "team_not_accepted", "sandbox-us", None, team
        )  # fmt: skip


def test_a_token_without_team_id_is_foreign_when_teams_are_listed():
    token = mint({"aud": SANDBOX_US, "sub": "s"})
    assert route(TEAMS_CONFIG, f"state={token}").outcome is Outcome.FOREIGN_TEAM


def test_without_teams_any_team_is_redirected_as_before(sandbox_config):
    for claims in ({"team_id": "someone-else"}, {"team_id": None}):
        assert route(sandbox_config, f"state={mint_token(SANDBOX_US, **claims)}").outcome is Outcome.JUNCTION_REDIRECT


def test_a_foreign_team_on_a_bad_provider_path_is_passed_on_not_answered_400():
    decision = route(TEAMS_CONFIG, f"state={mint_token(SANDBOX_US, team_id='other')}", provider="Fit bit")
    assert decision.outcome is Outcome.FOREIGN_TEAM


def test_teams_do_not_change_other_outcomes():
    foreign_env = mint_token(PRODUCTION_US, team_id="team-3")
    assert route(TEAMS_CONFIG, f"state={foreign_env}").outcome is Outcome.FOREIGN_ENVIRONMENT
    assert route(TEAMS_CONFIG, "state=company-state").outcome is Outcome.NOT_JUNCTION
