"""Configuration validation: every mistake gets a message that names the key."""

from __future__ import annotations

from typing import Any

import pytest

from callback_router.core.config import ConfigError, Fallback, parse_config
from callback_router.core.routes import Route

BASE: dict[str, Any] = {"environments": ["sandbox-us"]}


def test_defaults():
    config = parse_config(BASE)
    assert config.routes == (Route("/oauth_callback/{provider}"),)
    assert config.fallback == Fallback(mode="reject")
    assert config.providers is None
    assert set(config.accepted_base_urls) == {
        "https://api.sandbox.tryvital.io/v2/link",
        "https://api.sandbox.us.junction.com/v2/link",
    }
    assert "https://api.tryvital.io/v2/link" in config.foreign_base_urls
    assert "https://api.sandbox.tryvital.io/v2/link" not in config.foreign_base_urls


def test_full_config_round_trip():
    config = parse_config(
        {
            "environments": ["production-us", "production-eu"],
            "extra_environments": {"staging": "https://link.staging.example.com/v2/link"},
            "providers": ["fitbit", "strava"],
            "routes": [{"path": "/oauth_callback/{provider}"}, {"path": "/auth/strava/callback", "provider": "strava"}],
            "fallback": {"mode": "proxy", "url": "https://auth.example.com/cb/{provider}", "timeout_seconds": 5},
            "max_state_length": 2048,
            "service": "oauth-router",
            "metrics_namespace": "Acme/OAuth",
        }
    )
    assert config.accepted_base_urls["https://link.staging.example.com/v2/link"] == "staging"
    assert config.fallback == Fallback("proxy", "https://auth.example.com/cb/{provider}", 5.0)
    assert config.routes[1] == Route("/auth/strava/callback", "strava")
    assert (config.max_state_length, config.service, config.metrics_namespace) == (2048, "oauth-router", "Acme/OAuth")


@pytest.mark.parametrize(
    ("patch", "key", "words"),
    [
        ({"environments": ["prod-us"]}, "environments[0]", "unknown environment 'prod-us'"),
        ({"environments": "sandbox-us"}, "environments", "list of strings"),
        ({"environments": ["sandbox-us", "sandbox-us"]}, "environments", "more than once"),
        ({"environments": []}, "environments", "at least one"),
        ({"environments": ["sandbox-us", "production-us"]}, "environments", "mixes production and sandbox"),
        ({"allow_mixed_environments": "yes"}, "allow_mixed_environments", "true or false"),
        ({"extra_environments": {"local": "http://10.0.0.5/v2/link"}}, "extra_environments.local", "https://"),
        ({"extra_environments": {"local": "ftp://127.0.0.1/x"}}, "extra_environments.local", "absolute https://"),
        ({"extra_environments": {"x": "https://u:p@h.example/l"}}, "extra_environments.x", "user info"),
        ({"extra_environments": {"x": "https://h.example/l?a=1"}}, "extra_environments.x", "query"),
        ({"extra_environments": {"x": "https://h.example/l/"}}, "extra_environments.x", "end with '/'"),
        ({"extra_environments": {"x": "https://h.example/a b"}}, "extra_environments.x", "spaces"),
        ({"extra_environments": {"x": "https://h.example:99999/l"}}, "extra_environments.x", "not a valid URL"),
        ({"extra_environments": {"Bad Name": "https://h.example/l"}}, "extra_environments.Bad Name", "name must"),
        ({"extra_environments": {"sandbox-eu": "https://h.example/l"}}, "extra_environments.sandbox-eu", "list it in"),
        (
            {"extra_environments": {"x": "https://api.tryvital.io/v2/link"}},
            "extra_environments.x",
            "production-us",
        ),
        ({"extra_environments": ["https://h.example/l"]}, "extra_environments", "object"),
        ({"providers": ["Fitbit"]}, "providers[0]", "not a provider slug"),
        ({"providers": []}, "providers", "must not be empty"),
        ({"routes": []}, "routes", "non-empty list"),
        ({"routes": [{"path": "oauth/{provider}"}]}, "routes[0].path", "must start with '/'"),
        ({"routes": [{"path": "/a/{provider}/{provider}"}]}, "routes[0].path", "more than once"),
        ({"routes": [{"path": "/a/x{provider}"}]}, "routes[0].path", "whole"),
        ({"routes": [{"path": "/a/{provider}", "provider": "oura"}]}, "routes[0].provider", "from the path"),
        ({"routes": [{"path": "/auth/callback"}]}, "routes[0].provider", "must name its provider"),
        ({"routes": [{"path": "/auth/callback", "provider": "whoop"}], "providers": ["oura"]}, "routes[0].provider",
         "not in 'providers'"),
        ({"routes": [{"path": "/cb/{provider}"}, {"path": "/cb/{provider}"}]}, "routes[1].path", "listed twice"),
        ({"routes": [{"path": "/cb/{provider}", "method": "GET"}]}, "routes[0].method", "unknown key"),
        ({"fallback": {"mode": "forward"}}, "fallback.mode", "is 'forward'; say what happens"),
        ({"fallback": {"mode": "proxy"}}, "fallback.url", "non-empty string"),
        ({"fallback": {"mode": "proxy", "url": "http://auth.example.com"}}, "fallback.url", "https://"),
        ({"fallback": {"mode": "redirect", "url": "https://a.example/{user}"}}, "fallback.url", "{provider}"),
        ({"fallback": {"mode": "reject", "url": "https://a.example"}}, "fallback.url", "not used with mode"),
        ({"fallback": {"mode": "proxy", "url": "https://a.example", "timeout_seconds": 29}},
         "fallback.timeout_seconds", "at most 25"),
        ({"fallback": {"mode": "proxy", "url": "https://a.example", "timeout_seconds": "5"}},
         "fallback.timeout_seconds", "number"),
        ({"max_state_length": 10}, "max_state_length", "256 to 65536"),
        ({"metrics_namespace": "has space"}, "metrics_namespace", "must match"),
        ({"enviroments": ["sandbox-us"]}, "enviroments", "unknown key"),
    ],
)  # fmt: skip
def test_each_mistake_names_its_key(patch, key, words):
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, **patch})
    assert caught.value.key == key
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"config key '{key}': ")


def test_mixed_environments_need_an_explicit_opt_in():
    config = parse_config({"environments": ["sandbox-us", "production-us"], "allow_mixed_environments": True})
    assert set(config.accepted_base_urls.values()) == {"sandbox-us", "production-us"}


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v2/link", "http://localhost/v2/link", "http://[::1]:9/l"])
def test_plain_http_is_allowed_to_loopback_only(url):
    assert parse_config({"extra_environments": {"local": url}}).accepted_base_urls[url] == "local"


def test_not_an_object():
    with pytest.raises(ConfigError, match=r"'\(root\)'"):
        parse_config(["sandbox-us"])


def test_an_empty_teams_list_is_refused_with_what_to_do_instead():
    # An empty allowlist would redirect no Link Token at all: every Junction callback would be lost.
    with pytest.raises(ConfigError) as raised:
        parse_config({"environments": ["sandbox-us"], "teams": []})
    assert (raised.value.key, raised.value.problem) == (
        "teams",
        "must not be empty (leave it out to accept Link Tokens of any Junction team)",
    )


def test_teams_are_optional_and_kept_as_a_set():
    assert parse_config({"environments": ["sandbox-us"]}).teams is None
    config = parse_config({"environments": ["sandbox-us"], "teams": ["0c8b9e3a-1111-4222-8333-444455556666"]})
    assert config.teams == frozenset({"0c8b9e3a-1111-4222-8333-444455556666"})


@pytest.mark.parametrize(
    ("team", "words"),
    [
        ("my-team", "'my-team' is not a Junction team id: a team id is a UUID such as '0c8b9e3a-"),
        ("0c8b9e3a", "is not a Junction team id"),
        ("0c8b9e3a-1111-4222-8333-44445555666", "is not a Junction team id"),  # one digit short
        ("{0c8b9e3a-1111-4222-8333-444455556666}", "is not a Junction team id"),
        ("0C8B9E3A-1111-4222-8333-444455556666", "in lower case, as UUIDs are written (RFC 4122): '0c8b9e3a-1111-"),
    ],
)
def test_a_team_that_is_not_a_junction_team_id_is_refused_with_what_to_write(team, words):
    # A team name or a shortened id would never equal a token's team_id: every Junction callback
    # would silently go to the company's fallback.
    with pytest.raises(ConfigError, match=r"'teams\[1\]'") as raised:
        parse_config({"environments": ["sandbox-us"], "teams": ["0c8b9e3a-1111-4222-8333-444455556666", team]})
    assert words in str(raised.value)


INVOKE_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:company-callback"


@pytest.mark.parametrize(
    "arn",
    [INVOKE_ARN, INVOKE_ARN + ":live", INVOKE_ARN + ":$LATEST", INVOKE_ARN + ":12",
     "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
     "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f",
     "arn:aws-eusc:lambda:eusc-de-east-1:123456789012:function:f",  # European Sovereign Cloud
     "arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:f"],
)  # fmt: skip
def test_invoke_takes_a_function_version_or_alias_arn(arn):
    config = parse_config({**BASE, "fallback": {"mode": "invoke", "function_arn": arn, "timeout_seconds": 60}})
    assert config.fallback == Fallback("invoke", None, 60.0, arn)


@pytest.mark.parametrize(
    ("fallback", "key", "words"),
    [
        ({"mode": "invoke"}, "fallback.function_arn", "not a Lambda function ARN"),
        ({"mode": "invoke", "function_arn": "company-callback"}, "fallback.function_arn", "not a Lambda function ARN"),
        ({"mode": "invoke", "function_arn": INVOKE_ARN.replace("123456789012", "1234")}, "fallback.function_arn",
         "not a Lambda function ARN"),
        ({"mode": "invoke", "function_arn": INVOKE_ARN + ":live:extra"}, "fallback.function_arn", "ARN"),
        ({"mode": "invoke", "function_arn": INVOKE_ARN.replace(":lambda:", ":s3:")}, "fallback.function_arn", "ARN"),
        ({"mode": "invoke", "function_arn": INVOKE_ARN + "\n"}, "fallback.function_arn", "ARN"),
        ({"mode": "invoke", "function_arn": INVOKE_ARN, "url": "https://a.example"}, "fallback.url",
         "not used with mode 'invoke'"),
        ({"mode": "invoke", "function_arn": INVOKE_ARN, "timeout_seconds": 900}, "fallback.timeout_seconds",
         "at most 880"),
        ({"mode": "invoke", "function_arn": INVOKE_ARN, "timeout_seconds": 0}, "fallback.timeout_seconds", "above 0"),
        ({"mode": "proxy", "url": "https://a.example", "function_arn": INVOKE_ARN}, "fallback.function_arn",
         "not used with mode 'proxy'"),
    ],
)  # fmt: skip
def test_invoke_mistakes_name_their_key(fallback, key, words):
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "fallback": fallback})
    assert caught.value.key == key
    assert words in str(caught.value)
