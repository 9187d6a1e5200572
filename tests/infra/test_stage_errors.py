"""Every stage mistake stops synth with a message that names the stage and the key."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from callback_router_app.stages import StageError, load_stage, parse_stage
from tests.infra.conftest import CONTEXT, STAGES, synth_stage

SANDBOX: dict[str, Any] = CONTEXT["stages"]["sandbox"]


def with_changes(base: str = "sandbox", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(CONTEXT["stages"][base])
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


CASES = [
    pytest.param(
        with_changes(environments=["sandbox-us", "staging-us"]),
        "environments[1]",
        "unknown environment 'staging-us'",
        id="unknown environment",
    ),
    pytest.param(
        with_changes(providers=["fitbit", "Whoop"]), "providers[1]", "'Whoop' is not a provider slug", id="bad slug"
    ),
    pytest.param(
        with_changes(routes=[{"path": "/cb", "provider": "whoop-v2"}]),
        "routes[0].provider",
        "'whoop-v2' is not a provider slug",
        id="bad slug in a route",
    ),
    pytest.param(
        with_changes(fallback={"mode": "proxy", "url": "http://auth.example.com/cb"}),
        "fallback.url",
        "must use https://",
        id="non-https fallback URL",
    ),
    pytest.param(
        with_changes(extra_environments={"staging": "http://link.staging.example.com/v2/link"}),
        "extra_environments.staging",
        "must use https://",
        id="non-https extra environment",
    ),
    pytest.param(
        with_changes("rest-attach", root_resource_id=None),
        "root_resource_id",
        "shape 'existing_rest_api' needs root_resource_id",
        id="REST shape missing its root resource id",
    ),
    pytest.param(
        with_changes("http-attach", http_api_id=""),
        "http_api_id",
        "shape 'existing_http_api' needs http_api_id",
        id="HTTP API shape missing its id",
    ),
    pytest.param(
        with_changes("edge", origin_domain_name=None),
        "origin_domain_name",
        "shape 'edge' needs origin_domain_name",
        id="edge shape missing its origin",
    ),
    pytest.param(
        with_changes("edge", fallback={"mode": "reject"}),
        "fallback",
        "shape 'edge' has no fallback",
        id="fallback on an edge shape",
    ),
    pytest.param(
        with_changes("edge-attach", fallback={"mode": "proxy", "url": "https://auth.example.com/cb"}),
        "fallback",
        "shape 'edge_function' has no fallback",
        id="fallback on the edge function shape",
    ),
    pytest.param(
        with_changes(environments=["sandbox-us", "production-us"]),
        "environments",
        "mixes production and sandbox",
        id="mixed sandbox and production",
    ),
    pytest.param(with_changes(fallbak={"mode": "reject"}), "fallbak", "unknown key", id="unknown key"),
    pytest.param(with_changes(shape="lambda_url"), "shape", "'lambda_url' is not one of", id="unknown shape"),
    pytest.param(
        with_changes("rest-attach", throttle={"rate_limit": 10}),
        "throttle",
        "not used by shape 'existing_rest_api'",
        id="key of another shape",
    ),
    pytest.param(with_changes(throttle={"rate_limit": 0}), "throttle.rate_limit", "above 0", id="zero throttle"),
    pytest.param(with_changes(log_retention_days=10), "log_retention_days", "must be one of", id="bad retention"),
    pytest.param(
        with_changes("edge", region="eu-west-1"), "region", "deploys to us-east-1", id="edge not in us-east-1"
    ),
    pytest.param(
        with_changes("edge", domain_names=["auth.example.com"]),
        "certificate_arn",
        "go together",
        id="domain without certificate",
    ),
    pytest.param(
        with_changes("edge", config_source="environment"),
        "config_source",
        "not used by shape 'edge'",
        id="environment config at the edge",
    ),
    pytest.param(
        with_changes("rest-attach", rest_api_id="not an id"),
        "rest_api_id",
        "is not the id of the existing REST API",
        id="bad id",
    ),
    pytest.param(
        with_changes(alarms=False, alarm_topic_arn="arn:aws:sns:eu-west-1:123456789012:ops"),
        "alarm_topic_arn",
        "set alarms: true",
        id="alarm topic without alarms",
    ),
]


@pytest.mark.parametrize(("data", "key", "problem"), CASES)
def test_mistake_names_stage_and_key(data: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(StageError) as caught:
        parse_stage("my-stage", data)
    message = str(caught.value)
    assert message.startswith(f"stage 'my-stage': key '{key}': "), message
    assert problem in message


@pytest.mark.parametrize("name", ["prod_eu", "1prod", "a" * 27, "prod eu"])
def test_stage_name_must_fit_the_stack_and_function_names(name: str) -> None:
    with pytest.raises(StageError, match=re.escape(f"stage '{name}': key '(name)': must match")):
        parse_stage(name, SANDBOX)


def test_mixed_environments_are_allowed_when_the_stage_says_so() -> None:
    stage = parse_stage(
        "both", with_changes(environments=["sandbox-us", "production-us"], allow_mixed_environments=True)
    )
    assert set(stage.router.accepted_base_urls.values()) == {"sandbox-us", "production-us"}


def test_loopback_http_is_allowed_for_local_targets() -> None:
    stage = parse_stage("local", with_changes(fallback={"mode": "redirect", "url": "http://127.0.0.1:8080/cb"}))
    assert stage.router.fallback.url == "http://127.0.0.1:8080/cb"


@pytest.mark.parametrize("name", STAGES)
def test_every_example_stage_is_valid(name: str) -> None:
    stage = load_stage(name)
    assert stage.runtime_json()  # and its runtime part is what parse_config accepted


def test_unknown_stage_lists_the_known_ones() -> None:
    with pytest.raises(
        StageError, match=re.escape("stage 'nope': key 'stage': no such stage in cdk.json; stages: edge")
    ):
        load_stage("nope")


def test_synth_refuses_a_bad_stage_before_building_anything(tmp_path: Path) -> None:
    bad = with_changes(environments=["sandbox-us", "production-eu"])
    with pytest.raises(StageError, match=re.escape("stage 'mixed': key 'environments': mixes production and sandbox")):
        synth_stage("mixed", tmp_path, {"stages": {"mixed": bad}})
    assert not list(tmp_path.iterdir())


def test_forward_host_header_needs_the_distribution_to_have_its_own_domain() -> None:
    stage = {"shape": "edge", "origin_domain_name": "auth.example.com", "environments": ["sandbox-us"]}
    with pytest.raises(StageError, match="stage 'e': key 'forward_host_header': without domain_names"):
        parse_stage("e", {**stage, "forward_host_header": True})


# What a new user actually writes, and what the message must say: what is wrong, in words, and
# what to write instead. ``never`` lists what a message must not fall back to (raw regexes,
# Python reprs of None, wrong grammar, the wrong description).
USER_MISTAKES = [
    pytest.param(
        with_changes("edge", origin_domain_name="https://auth.example.com"),
        "origin_domain_name",
        ["is a URL", "write the host name only", "'auth.example.com'"],
        id="origin given as a URL",
    ),
    pytest.param(
        with_changes("edge", origin_domain_name="auth.example.com/login"),
        "origin_domain_name",
        ["is not the host name of the company's own auth server", "such as 'auth.example.com'"],
        id="origin with a path",
    ),
    pytest.param(
        with_changes("edge", origin_domain_name=None),
        "origin_domain_name",
        ["shape 'edge' needs origin_domain_name", "the host name of the company's own auth server"],
        id="origin missing",
    ),
    pytest.param(
        with_changes(fallback={"url": "https://auth.example.com/oauth_callback/{provider}"}),
        "fallback.mode",
        ["is missing", '"proxy"', '"redirect"', '"reject"', '{"mode": "proxy", "url": '],
        id="fallback without a mode",
    ),
    pytest.param(
        with_changes(fallback={"mode": "forward", "url": "https://auth.example.com/cb"}),
        "fallback.mode",
        ["is 'forward'", '"proxy" (replay them to "url"'],
        id="fallback with an unknown mode",
    ),
    pytest.param(
        with_changes(routes=[{"path": "/oauth_callback/:provider"}]),
        "routes[0].path",
        ["':provider' is not a placeholder here", "use '{provider}'", "'/oauth_callback/{provider}'"],
        id="Express-style placeholder",
    ),
    pytest.param(
        with_changes(routes=[{"path": "/oauth_callback/<provider>"}]),
        "routes[0].path",
        ["'/oauth_callback/{provider}'"],
        id="Flask-style placeholder",
    ),
    pytest.param(
        with_changes(routes=[{"path": "/auth/strava(v2)/callback", "provider": "strava"}]),
        "routes[0].path",
        ["contains '()'", "letters, digits and '- . _ ~'", "'strava-v2'"],
        id="regex characters in a route",
    ),
    pytest.param(
        with_changes(routes=[{"path": "/oauth_callback/{provider}/"}]),
        "routes[0].path",
        ["ends with '/'", "write '/oauth_callback/{provider}'"],
        id="trailing slash in a route",
    ),
    pytest.param(
        with_changes(routes=[{"path": "/auth/strava/callback"}]),
        "routes[0].provider",
        ["has no {provider} segment", '"provider": "fitbit"'],
        id="fixed route without its provider",
    ),
    pytest.param(
        with_changes("rest-attach", rest_api_id="https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"),
        "rest_api_id",
        ["is not the id of the existing REST API", "such as 'a1b2c3d4e5'"],
        id="REST API URL instead of its id",
    ),
    pytest.param(
        with_changes(teams=["Acme Health"]),
        "teams[0]",
        ["is not a Junction team id", "explain <token>` shows a token's team_id"],
        id="team name instead of its id",
    ),
]
NEVER = ["None is not one of", "a origin", "the id of the resource", "(?=", "[a-z0-9]", "expected "]


@pytest.mark.parametrize(("data", "key", "words"), USER_MISTAKES)
def test_user_mistakes_get_a_message_that_says_what_to_write(data: dict[str, Any], key: str, words: list[str]) -> None:
    with pytest.raises(StageError) as caught:
        parse_stage("my-stage", data)
    message = str(caught.value)
    assert message.startswith(f"stage 'my-stage': key '{key}': "), message
    for phrase in words:
        assert phrase in message, message
    for phrase in NEVER:
        assert phrase not in message, message
