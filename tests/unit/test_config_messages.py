"""What ``cdk synth`` says, word for word, for the config mistakes a user makes first.

The same parser runs at synth and at every cold start; its ``problem`` text is printed under the
prop's name by the constructs and the stage loader. A test that only looked for a word would
pass a garbled or half-missing explanation, so these are pinned whole.
"""

from __future__ import annotations

from typing import Any

import pytest

from callback_router.core.config import ConfigError, parse_config

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:company-callback"
MODES = (
    "say what happens to callbacks that are not Junction's: "
    '"invoke" (hand the event to "function_arn" and return its result), '
    '"proxy" (replay them to "url" and return its answer), "redirect" (307 to "url") or '
    '"reject" (404), e.g. {"mode": "proxy", "url": "https://auth.example.com/oauth_callback/{provider}"}'
)


@pytest.mark.parametrize(
    ("patch", "key", "problem"),
    [
        ({"fallback": "proxy"}, "fallback", "must be an object with a 'mode'"),
        ({"fallback": {}}, "fallback.mode", f"is missing; {MODES}"),
        ({"fallback": {"mode": None}}, "fallback.mode", f"is missing; {MODES}"),
        ({"fallback": {"mode": "forward"}}, "fallback.mode", f"is 'forward'; {MODES}"),
        (
            {"fallback": {"mode": "invoke", "function_arn": FUNCTION_ARN, "timeout_seconds": 881}},
            "fallback.timeout_seconds",
            "must be above 0 and at most 880 (Lambda stops every function at 900 s)",
        ),
        (
            {"fallback": {"mode": "proxy", "url": "https://auth.example.com/cb", "timeout_seconds": 26}},
            "fallback.timeout_seconds",
            "must be above 0 and at most 25 (API Gateway stops waiting at 29 s)",
        ),
        (
            {"environments": ["sandbox-mars"]},
            "environments[0]",
            "unknown environment 'sandbox-mars'; known: production-us, production-eu, sandbox-us, sandbox-eu",
        ),
        ({"environments": []}, "environments", "accept at least one environment (or extra_environments)"),
        (
            {"environments": ["sandbox-us", "production-us"]},
            "environments",
            "mixes production and sandbox (sandbox-us, production-us); Junction says never to forward sandbox "
            "traffic to production or the reverse. Set allow_mixed_environments: true if this deployment really "
            "serves both.",
        ),
        ({"allow_mixed_environments": "yes"}, "allow_mixed_environments", "must be true or false"),
        (
            {"extra_environments": ["https://link.example.com/v2/link"]},
            "extra_environments",
            "must be a mapping (an object) of name -> Link API base URL",
        ),
        (
            {"extra_environments": {"Staging": "https://link.example.com/v2/link"}},
            "extra_environments.Staging",
            "name must match ^[a-z0-9][a-z0-9_-]{0,63}$",
        ),
        (
            # The same base URL under two names: which name would a redirect be logged under?
            {"extra_environments": {"a": "https://link.example.com/v2/link", "b": "https://link.example.com/v2/link"}},
            "extra_environments.b",
            "'https://link.example.com/v2/link' is already accepted as 'a'",
        ),
        ({"environments": 5}, "environments", "must be a list of strings, not int"),
        ({"environments": ["sandbox-us", 5]}, "environments", "must be a list of strings"),
        ({"providers": ["fitbit", "oura", "fitbit", "oura"]}, "providers", "lists fitbit, oura more than once"),
        ({"providers": []}, "providers", "must not be empty (leave it out to allow every provider)"),
        ({"routes": []}, "routes", "must be a non-empty list of {'path': ...} objects"),
        ({"routes": [5]}, "routes[0]", "must be an object with a string 'path'"),
        ({"routes": [{"path": "/a/{provider}", "x": 1}]}, "routes[0].x", "unknown key (allowed: path, provider)"),
        (
            {"routes": [{"path": "/a/{provider}", "provider": "fitbit"}]},
            "routes[0].provider",
            "a path with {provider} takes the provider from the path",
        ),
        (
            {"routes": [{"path": "/a/b"}]},
            "routes[0].provider",
            "path '/a/b' has no {provider} segment, so the route must name its provider: write "
            '{"path": \'/a/b\', "provider": "fitbit"} (your provider\'s slug), or put \'{provider}\' where the '
            "provider's name stands in the path",
        ),
        (
            {"teams": ["my-team"]},
            "teams[0]",
            "'my-team' is not a Junction team id: a team id is a UUID such as "
            "'0c8b9e3a-1111-4222-8333-444455556666' (the Junction dashboard shows it; "
            "`python -m tools.explain <token>` shows a token's team_id)",
        ),
    ],
)
def test_the_problem_is_said_whole(patch: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"environments": ["sandbox-us"], **patch})
    assert (raised.value.key, raised.value.problem) == (key, problem)


@pytest.mark.parametrize(
    ("document", "key", "problem"),
    [
        ([{"environments": ["sandbox-us"]}], "(root)", "must be a JSON object (with text keys)"),
        (
            {"environments": ["sandbox-us"], "colour": "blue"},
            "colour",
            "unknown key; known keys: allow_mixed_environments, environments, extra_environments, fallback, "
            "max_state_length, metrics_namespace, providers, routes, service, teams",
        ),
        ({"environments": ["sandbox-us"], "service": "a b"}, "service", "'a b' must match [A-Za-z0-9._-]{1,128}"),
    ],
)
def test_the_document_itself_is_said_whole(document: Any, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(document)
    assert (raised.value.key, raised.value.problem) == (key, problem)


def test_a_service_name_keeps_its_capitals():
    # Powertools' service name is free text in the logs and a metric dimension: "CompanyAuth" stays.
    config = parse_config({"environments": ["sandbox-us"], "service": "Company.Auth_Router-2"})
    assert config.service == "Company.Auth_Router-2"
