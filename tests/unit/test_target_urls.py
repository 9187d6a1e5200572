"""Which characters and braces a target URL (an extra environment, a fallback URL) may hold.

A target URL is where the router sends a browser or a request: anything the browser or the
HTTP client would read differently (a space, a control, DEL, a stray brace) is refused at
synth; every printable ASCII character a URL may carry is kept.
"""

from __future__ import annotations

from typing import Any

import pytest

from callback_router.core.config import ConfigError, parse_config

BASE: dict[str, Any] = {"environments": ["sandbox-us"]}


def extra(url: str) -> dict[str, Any]:
    return {**BASE, "extra_environments": {"staging": url}}


def fallback(url: str) -> dict[str, Any]:
    return {**BASE, "fallback": {"mode": "redirect", "url": url}}


@pytest.mark.parametrize("document", [extra, fallback])
@pytest.mark.parametrize("char", ["!", "~", "$", "'", "*", "+", ",", ";", "=", "@", ":"])
def test_printable_ascii_is_kept_from_bang_to_tilde(document, char):
    # 0x21 ("!") and 0x7E ("~") are the first and last printable ASCII characters.
    url = f"https://link.example.com/v2/a{char}b"
    config = parse_config(document(url))
    assert url in config.accepted_base_urls or config.fallback.url == url


@pytest.mark.parametrize("document", [extra, fallback])
@pytest.mark.parametrize("char", ["\x00", "\x1f", " ", "\x7f", "\x80", "é", "\u2028"])
def test_spaces_controls_del_and_non_ascii_are_refused(document, char):
    with pytest.raises(ConfigError, match="spaces, controls or non-ASCII") as raised:
        parse_config(document(f"https://link.example.com/v2/a{char}b"))
    assert raised.value.key in ("extra_environments.staging", "fallback.url")


@pytest.mark.parametrize("document", [extra, fallback])
@pytest.mark.parametrize("path", ["/a{b", "/a}b", "/{provider", "/provider}", "/{other}"])
def test_a_brace_that_is_not_the_placeholder_is_refused(document, path):
    with pytest.raises(ConfigError, match="the only placeholder allowed is"):
        parse_config(document(f"https://link.example.com{path}"))


def test_an_extra_environment_url_takes_no_placeholder():
    # Only a fallback URL names the provider; a Link API base URL is compared as it is.
    with pytest.raises(ConfigError, match="the only placeholder allowed is") as raised:
        parse_config(extra("https://link.example.com/{provider}/v2/link"))
    assert raised.value.key == "extra_environments.staging"


def test_a_config_error_names_its_key_and_its_problem_apart():
    # The constructs and the stage loader re-raise it with the prop's name: they read both parts.
    with pytest.raises(ConfigError) as raised:
        parse_config(extra("ftp://127.0.0.1/x"))
    assert raised.value.key == "extra_environments.staging"
    assert raised.value.problem == "'ftp://127.0.0.1/x' must be an absolute https:// URL"
    assert str(raised.value) == f"config key 'extra_environments.staging': {raised.value.problem}"


def test_the_placeholder_may_not_stand_in_a_fallback_host():
    with pytest.raises(ConfigError) as raised:
        parse_config(fallback("https://{provider}.auth.example.com/cb"))
    assert raised.value.key == "fallback.url"
    assert raised.value.problem == (
        "'https://{provider}.auth.example.com/cb': {provider} may only stand in the path, never in the host"
    )


@pytest.mark.parametrize(
    ("document", "key", "problem"),
    [
        (fallback(""), "fallback.url", "must be a non-empty string URL"),
        (extra(""), "extra_environments.staging", "must be a non-empty string URL"),
        (
            {**BASE, "fallback": {"mode": "proxy", "url": "https://a.example/cb", "timeout_seconds": "5"}},
            "fallback.timeout_seconds",
            "must be a number of seconds",
        ),
        (
            {**BASE, "fallback": {"mode": "invoke", "function_arn": "company-callback"}},
            "fallback.function_arn",
            "'company-callback' is not a Lambda function ARN: "
            "arn:aws:lambda:<region>:<account>:function:<name>[:<alias or version>]",
        ),
    ],
)
def test_the_message_says_what_to_write(document, key, problem):
    # These are what `cdk synth` prints under the prop's name: pinned whole, not by a word.
    with pytest.raises(ConfigError) as raised:
        parse_config(document)
    assert (raised.value.key, raised.value.problem) == (key, problem)
