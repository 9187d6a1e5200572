"""One options object: every runtime setting is a ``RouterOptions`` field, checked by the function's
parser, and every router construct hands every field to its function's config document."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from aws_cdk import App, Aws, Environment, Stack
from aws_cdk import aws_cloudwatch as cloudwatch

from callback_router.core.config import CONFIG_KEYS
from callback_router_app.stacks import router_options, stage_fallback
from callback_router_app.stages import CDK_JSON, StageError, load_stage, parse_stage
from junction_callback_router import (
    CallbackRouter,
    CloudFrontFunctionCallbackRouter,
    EdgeCallbackRouter,
    Fallback,
    Route,
    RouterConfigError,
    RouterOptions,
)
from junction_callback_router.base import RouterConstruct

EVERY_SETTING = RouterOptions(
    environments=["production-us", "sandbox-us"],
    routes=["/oauth/{provider}", Route("/auth/strava/callback", provider="strava")],
    providers=["strava", "fitbit"],
    extra_environments={"staging": "https://link.staging.company.com/v2/link"},
    allow_mixed_environments=True,
    teams=["0c8b9e3a-1111-2222-3333-444455556666"],
    max_state_length=8192,
    service="company-callbacks",
    metrics_namespace="Company/Callbacks",
    fallback=Fallback.proxy("https://auth.company.com/oauth_callback/{provider}", timeout_seconds=7),
)
"""Every setting away from its default."""
EDGE_SETTINGS = dataclasses.replace(EVERY_SETTING, fallback=None)


def stack(region: str) -> Stack:
    return Stack(App(), "Company", env=Environment(account="123456789012", region=region))


def test_every_runtime_setting_of_the_function_is_an_option() -> None:
    assert {field.name for field in dataclasses.fields(RouterOptions)} == CONFIG_KEYS


def test_the_test_options_set_every_setting() -> None:
    document = EVERY_SETTING.document("test")
    assert set(document) == CONFIG_KEYS
    defaults = RouterOptions(environments=["sandbox-us"])
    for field in dataclasses.fields(RouterOptions):
        assert getattr(EVERY_SETTING, field.name) != getattr(defaults, field.name), field.name


@pytest.mark.parametrize(
    ("construct", "region", "options"),
    [
        (CallbackRouter, "eu-west-1", EVERY_SETTING),
        (EdgeCallbackRouter, "us-east-1", EDGE_SETTINGS),
        (CloudFrontFunctionCallbackRouter, "eu-west-1", EDGE_SETTINGS),
    ],
    ids=["CallbackRouter", "EdgeCallbackRouter", "CloudFrontFunctionCallbackRouter"],
)
def test_each_construct_passes_every_option_to_its_function(
    construct: type[RouterConstruct], region: str, options: RouterOptions
) -> None:
    """A construct that forgot a keyword prop would leave its key out of the function's config."""
    expected = options.document("test")
    keywords = {name: value for name, value in options.keywords().items() if value is not None}
    from_keywords = construct(stack(region), "Router", **keywords)
    assert from_keywords.document.document == expected
    from_options = construct.from_options(stack(region), "Router", options)
    assert from_options.document.document == expected
    assert from_options.config == from_keywords.config


def test_from_options_refuses_what_the_front_cannot_take() -> None:
    with pytest.raises(RouterConfigError, match=re.escape("EdgeCallbackRouter 'Edge': fallback: this front has no")):
        EdgeCallbackRouter.from_options(stack("us-east-1"), "Edge", EVERY_SETTING)
    with pytest.raises(RouterConfigError, match=re.escape("CallbackRouter 'Router': fallback: must be Fallback.")):
        CallbackRouter.from_options(stack("eu-west-1"), "Router", EDGE_SETTINGS)
    not_options: Any = {"environments": ["sandbox-us"]}
    with pytest.raises(RouterConfigError, match=re.escape("CallbackRouter 'Router': options: must be a RouterOptions")):
        CallbackRouter.from_options(stack("eu-west-1"), "Router", not_options)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("memory_size", 64, "must be from 128 to 10240 MB"),
        ("memory_size", "512", "must be a whole number of MB"),
        ("python_runtime", 3.12, 'must be a string such as "3.12"'),
        ("snap_start", "yes", "must be True or False"),
        ("alarms", 1, "must be True or False"),
    ],
)
def test_a_stage_and_a_construct_refuse_an_infrastructure_prop_with_the_same_words(
    key: str, value: Any, problem: str
) -> None:
    with pytest.raises(StageError, match=re.escape(f"key '{key}': {problem}")):
        parse_stage("s", {"shape": "http_api", "environments": ["sandbox-us"], key: value})
    with pytest.raises(RouterConfigError, match=re.escape(f"CallbackRouter 'Router': {key}: {problem}")):
        CallbackRouter(
            stack("eu-west-1"), "Router", environments=["sandbox-us"], fallback=Fallback.reject(), **{key: value}
        )


class FrontWithoutLambda(RouterConstruct):
    """A stand-in for a third front that is no Lambda function (e.g. a CloudFront Function)."""

    KIND = "FrontWithoutLambda"
    TOKENS_ALLOWED = False
    HAS_FALLBACK = False

    def __init__(self, scope: Stack, construct_id: str, *, alarms: bool = False, **settings: Any) -> None:
        super().__init__(scope, construct_id, RouterOptions(**settings), alarms=alarms)
        own = (
            "ExecutionErrors",
            cloudwatch.Metric(namespace="AWS/CloudFront", metric_name="FunctionExecutionErrors"),
            "the function threw",
        )
        self._add_alarms(enabled=alarms, topic=None, function_name=None, proxy=False, metrics=[own])


def test_a_front_without_a_lambda_function_gets_the_shared_setup() -> None:
    front = FrontWithoutLambda.from_options(stack("us-east-1"), "Front", EDGE_SETTINGS, alarms=True)
    assert front.document.document == EDGE_SETTINGS.document("test")
    names = [alarm.node.id for alarm in front.alarms]
    assert "ErrorsAlarm" not in names  # no Lambda function: no Lambda Errors
    assert {"ExecutionErrorsAlarm", "ConfigErrorAlarm", "ForeignTeamAlarm"} <= set(names)
    with pytest.raises(RouterConfigError, match=re.escape("FrontWithoutLambda 'Front': extra_environments.staging")):
        FrontWithoutLambda(
            stack("us-east-1"), "Front", environments=["sandbox-us"], extra_environments={"staging": Aws.URL_SUFFIX}
        )
    with pytest.raises(RouterConfigError, match=re.escape("FrontWithoutLambda 'Front': alarms: must be True or False")):
        not_a_flag: Any = "yes"
        FrontWithoutLambda(stack("us-east-1"), "Front", environments=["sandbox-us"], alarms=not_a_flag)


def test_every_cdk_json_stage_reaches_the_constructs_with_its_whole_config() -> None:
    """The standalone app passes a stage's runtime keys through RouterOptions, not a list of its own."""
    stages = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]["stages"]
    for name in stages:
        stage = load_stage(name)
        fallback = None if stage.is_edge else stage_fallback(stage, Stack(App(), "Scope"))
        validated = router_options(stage, fallback).validate("test", tokens_allowed=not stage.is_edge)
        assert validated.config == stage.router, name
