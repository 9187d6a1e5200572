"""A bad configuration is always a ``ConfigError`` naming its key, never a ``TypeError``.

The same parser runs at ``cdk synth`` and at every cold start: anything else it raised would be
a stack trace at synth and a function that cannot start.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callback_router.core.config import CONFIG_KEYS, ConfigError, Fallback, RouterConfig, parse_config
from callback_router.core.routes import Route

BASE: dict[str, Any] = {"environments": ["sandbox-us"]}


@pytest.mark.parametrize(
    ("patch", "key", "words"),
    [
        ({"fallback": "reject"}, "fallback", "object with a 'mode'"),
        ({"fallback": ["proxy"]}, "fallback", "object with a 'mode'"),
        ({"fallback": {"mode": "redirect", "url": 7}}, "fallback.url", "non-empty string"),
        ({"fallback": {"mode": "proxy", "url": ["https://a.example"]}}, "fallback.url", "non-empty string"),
        ({"fallback": {"mode": "proxy", "url": ""}}, "fallback.url", "non-empty string"),
        ({"fallback": {"mode": ["proxy"]}}, "fallback.mode", "is ['proxy']"),
        ({"fallback": {"mode": {"proxy": 1}}}, "fallback.mode", "say what happens"),
        ({"fallback": {"mode": "proxy", "url": "https://a.example", "timeout_seconds": 10**400}},
         "fallback.timeout_seconds", "at most 25"),
        ({"fallback": {"mode": "proxy", "url": "https://a.example", "timeout_seconds": float("nan")}},
         "fallback.timeout_seconds", "number of seconds"),
        ({"fallback": {"mode": "proxy", "url": "https://a.example", "timeout_seconds": True}},
         "fallback.timeout_seconds", "number of seconds"),
        ({"max_state_length": "4096"}, "max_state_length", "whole number"),
        ({"max_state_length": 4096.0}, "max_state_length", "whole number"),
        ({"max_state_length": True}, "max_state_length", "whole number"),
        ({"max_state_length": None}, "max_state_length", "whole number"),
        ({"routes": [{"path": "/auth/callback", "provider": "Fit Bit"}]}, "routes[0].provider", "not a provider slug"),
        ({"routes": [{"path": "/auth/callback", "provider": "whoop/v2"}]}, "routes[0].provider",
         "not a provider slug"),
        ({"routes": [{"path": "/auth/callback", "provider": 7}]}, "routes[0].provider", "not a provider slug"),
        ({"routes": [{"path": "/auth/callback", "provider": ""}]}, "routes[0].provider", "not a provider slug"),
        ({"routes": ["/cb/{provider}"]}, "routes[0]", "string 'path'"),
        ({"routes": [{"path": 7}]}, "routes[0]", "string 'path'"),
        ({"service": 7}, "service", "must match"),
        ({"teams": "team-1"}, "teams", "list of strings"),
        ({"providers": [7]}, "providers", "list of strings"),
    ],
)  # fmt: skip
def test_a_value_of_the_wrong_type_is_a_config_error_naming_its_key(patch, key, words):
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, **patch})
    assert caught.value.key == key
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://auth.example.com/cb?",  # a bare '?': urlsplit sees no query, the router would add a second one
        "https://auth.example.com/cb/{provider}?",
        "https://auth.example.com/cb#",  # a bare '#': likewise no fragment to urlsplit
        "https://auth.example.com/cb?a=1",
    ],
)
def test_a_fallback_url_with_a_query_or_fragment_mark_is_refused(url):
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "fallback": {"mode": "redirect", "url": url}})
    assert caught.value.key == "fallback.url"
    assert "query or fragment" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://user@auth.example.com/cb",
        "https://user:secret@auth.example.com/cb",
        "https://:secret@auth.example.com/cb",
        "https://@auth.example.com/cb",  # an empty user name is still user info
    ],
)
@pytest.mark.parametrize("mode", ["redirect", "proxy"])
def test_user_info_in_a_fallback_url_is_refused(mode, url):
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "fallback": {"mode": mode, "url": url}})
    assert caught.value.key == "fallback.url"
    assert "user info" in str(caught.value)


@pytest.mark.parametrize(
    "document",
    [
        {"environments": ["sandbox-us"], 1: "x", "x": 1},  # keys a JSON document cannot have, mixed with text
        {"environments": ["sandbox-us"], 1: "x"},
        {"environments": ["sandbox-us"], "extra_environments": {1: "https://link.example.com/v2/link"}},
        {**BASE, "fallback": {"mode": "reject", 1: 2, "x": 3}},
        {**BASE, "routes": [{"path": "/cb/{provider}", 1: 2, "x": 3}]},
    ],
)
def test_a_key_that_is_not_text_is_a_config_error(document):
    with pytest.raises(ConfigError):
        parse_config(document)


def test_a_fixed_route_takes_a_valid_slug():
    config = parse_config({**BASE, "routes": [{"path": "/auth/whoop/callback", "provider": "whoop_v2"}]})
    assert config.routes == (Route("/auth/whoop/callback", "whoop_v2"),)


def test_a_fallback_url_may_carry_a_port_and_the_provider_placeholder():
    url = "https://auth.example.com:8443/cb/{provider}"
    assert parse_config({**BASE, "fallback": {"mode": "redirect", "url": url}}).fallback == Fallback("redirect", url)


# Documents that are almost right: every known key, with values of any JSON type (and some that
# only a Python caller can pass), so every check of every key meets what it does not expect.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "sandbox-us",
            "production-us",
            "proxy",
            "redirect",
            "reject",
            "invoke",
            "https://auth.example.com/cb/{provider}",
            "/cb/{provider}",
            "fitbit",
        ]
    ),
)
SUB_KEYS = ["mode", "url", "timeout_seconds", "function_arn", "path", "provider", "staging"]
keys = st.one_of(st.sampled_from(sorted(CONFIG_KEYS) + SUB_KEYS), st.text(max_size=6), st.integers(0, 3))
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=600)
@given(patch=st.dictionaries(keys, values, max_size=4))
def test_any_document_is_a_config_or_a_config_error(patch):
    try:
        config = parse_config({**BASE, **patch})
    except ConfigError as error:
        assert str(error).startswith(f"config key '{error.key}': ")
    else:
        assert isinstance(config, RouterConfig)


def test_the_documented_timeout_maxima_themselves_are_accepted():
    proxy = parse_config({**BASE, "fallback": {"mode": "proxy", "url": "https://a.example", "timeout_seconds": 25}})
    assert proxy.fallback.timeout_seconds == 25.0
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:company-callback"
    invoke = parse_config({**BASE, "fallback": {"mode": "invoke", "function_arn": arn, "timeout_seconds": 880}})
    assert invoke.fallback.timeout_seconds == 880.0
