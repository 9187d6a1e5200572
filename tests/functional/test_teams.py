"""The optional ``teams`` allowlist: only the company's own Junction team is redirected."""

from __future__ import annotations

import pytest

from tests.functional.sources import ALL_SOURCES, CLOUDFRONT, Source
from tests.support.tokens import SANDBOX_US, mint_token

ids = [source.name for source in ALL_SOURCES]
TEAM = "0c8b9e3a-1111-4222-8333-444455556666"
TEAMS_CONFIG = {"environments": ["sandbox-us"], "teams": [TEAM], "fallback": {"mode": "reject"}}


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_a_token_of_another_team_is_passed_on_logged_at_warning_and_counted(configure, output, source: Source):
    router = configure(TEAMS_CONFIG)
    token = mint_token(SANDBOX_US, team_id="team-of-someone-else")
    result = source.send(router, raw_query=f"code=c0de-1234&state={token}")
    assert result.location is None
    if source is CLOUDFRONT:
        assert result.passed_on  # on to the company's origin, like any non-Junction callback
    else:
        assert result.status == 404  # the reject fallback: what a non-Junction callback gets
    out = output()
    [line] = out.routed
    assert (line["level"], line["decision"], line["reason"]) == ("WARNING", "ForeignTeam", "team_not_accepted")
    assert (line["environment"], line["team_id"], line["provider"]) == ("sandbox-us", "team-of-someone-else", "fitbit")
    assert out.metric_names() == ["ForeignTeam"]
    assert token not in out.text and "c0de-1234" not in out.text


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_the_listed_team_is_redirected(configure, output, source: Source):
    router = configure(TEAMS_CONFIG)
    token = mint_token(SANDBOX_US, team_id=TEAM)
    result = source.send(router, raw_query=f"state={token}")
    assert result.status == 307
    assert result.location == f"{SANDBOX_US}/connect/fitbit?state={token}"
    assert output().metric_names() == ["JunctionRedirect"]


def test_a_team_id_that_is_not_an_id_is_not_logged(configure, output):
    router = configure(TEAMS_CONFIG)
    token = mint_token(SANDBOX_US, team_id='evil\n{"decision": "JunctionRedirect"}')
    CLOUDFRONT.send(router, raw_query=f"state={token}")
    [line] = output().routed
    assert line["decision"] == "ForeignTeam"
    assert "team_id" not in line  # None values are left out of the line
