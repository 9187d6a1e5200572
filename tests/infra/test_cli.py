"""``junction-callback-router``: explain and preflight for a library user's own synthesized app.

One real CDK app is synthesized once (in process, as a user's ``app.synth()`` does): the README's
deploy-time pattern (``examples/http_api.py``: ``Fallback.invoke`` of a function of the app, so
the config is an ``Fn::Join`` in ``CALLBACK_ROUTER_CONFIG``), a proxy to a URL built from an API's
own endpoint, a router with a literal config (bundled ``config.json``, found through the asset
manifest) and one still pointing at a placeholder host. A deployed function is read through a
real botocore Lambda client with ``Stubber`` (no network). Hostile templates are hand-written JSON.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.session  # type: ignore[import-untyped]
import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from botocore.stub import Stubber  # type: ignore[import-untyped]

from junction_callback_router import CallbackRouter, Fallback
from junction_callback_router.cli import main
from tests.infra.conftest import ROOT, offline_environment
from tests.infra.test_examples import load
from tests.support.tokens import mint_token

SANDBOX_EU = "https://api.sandbox.eu.tryvital.io/v2/link"
COMPANY_STATE = "/oauth_callback/fitbit?code=abc&state=company-csrf-value"
EU = Environment(region="eu-west-1")


def junction_callback() -> str:
    return f"/oauth_callback/fitbit?code=abc&state={mint_token(SANDBOX_EU)}"


@pytest.fixture(scope="module")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's app, synthesized."""
    out = tmp_path_factory.mktemp("user-app") / "cdk.out"
    app = App(outdir=str(out))
    load("http_api").build(app)  # CompanyAuth: the README's Fallback.invoke(fn)
    proxy = Stack(app, "ProxyAuth", env=EU)
    company_api = apigwv2.HttpApi(proxy, "CompanyApi")
    router = CallbackRouter(
        proxy,
        "ProxyRouter",
        environments=["sandbox-eu"],
        fallback=Fallback.proxy(f"{company_api.api_endpoint}/legacy/oauth_callback/{{provider}}"),
    )
    router.add_to_http_api(apigwv2.HttpApi(proxy, "CallbackApi"))
    literal = CallbackRouter(
        proxy, "LiteralRouter", environments=["sandbox-eu"], fallback=Fallback.redirect("https://auth.company.com/cb")
    )
    literal.add_function_url()
    placeholder = Stack(app, "Placeholder", env=EU)
    CallbackRouter(
        placeholder, "Router", environments=["sandbox-eu"], fallback=Fallback.redirect("https://auth.example.com/cb")
    ).add_function_url()
    app.synth()
    return out


def run(capsys: pytest.CaptureFixture[str], *argv: str, **kwargs: Any) -> tuple[int, str, str]:
    code = main(list(argv), **kwargs)
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_template_reads_the_readme_deploy_time_example(cdk_out: Path, capsys) -> None:
    template = str(cdk_out / "CompanyAuth.template.json")
    code, out, err = run(capsys, "explain", "--template", template, COMPANY_STATE)
    assert (code, err) == (1, "")
    assert "function:     JunctionRouterFunction" in out
    assert "read from:    $CALLBACK_ROUTER_CONFIG of the function" in out
    assert "fallback:     invoke <deploy-time: CompanyCallback.Arn>" in out
    assert "redirected:   no: state is not a JWT: the company's own flow" in out
    code, out, err = run(capsys, "explain", "--template", template, junction_callback())
    assert (code, err) == (0, "")
    assert "Location:     https://api.sandbox.eu.tryvital.io/v2/link/connect/fitbit?code=abc&state=" in out


def test_explain_template_with_several_routers_names_them_and_picks_one(cdk_out: Path, capsys) -> None:
    template = str(cdk_out / "ProxyAuth.template.json")
    code, out, err = run(capsys, "explain", "--template", template, COMPANY_STATE)
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert "has 2 router functions: ProxyRouterFunction" in line and "LiteralRouterFunction" in line
    assert line.endswith("pick one with --function-id")

    code, out, err = run(
        capsys, "explain", "--template", template, "--function-id", "ProxyRouterFunction", "x", "--json"
    )
    assert code == 1, err
    found = json.loads(out)
    assert (
        found["config_source"]["fallback"]
        == "proxy <deploy-time: CompanyApi.ApiEndpoint>/legacy/oauth_callback/{provider}"
    )
    assert found["decision"] == "NotJunction"

    # The literal router's config is not in its environment: it is the bundled config.json.
    code, out, err = run(
        capsys, "explain", "--template", template, "--function-id", "LiteralRouterFunction", COMPANY_STATE
    )
    assert code == 1, err
    assert "callback_router/config.json" in out and "fallback:     redirect https://auth.company.com/cb" in out
    assert "<deploy-time" not in out

    code, out, err = run(capsys, "explain", "--template", template, "--function-id", "Nope", COMPANY_STATE)
    assert code == 2 and "--function-id Nope: no such router function; found: " in err


def test_explain_template_never_starts_the_cdk(cdk_out: Path) -> None:
    probe = (
        "import sys; from junction_callback_router.cli import main; code = main(sys.argv[1:]); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'aws_cdk', 'jsii', 'cdk_nag'})); sys.exit(code)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / part) for part in ("lambda", "infra"))}
    template = str(cdk_out / "CompanyAuth.template.json")
    done = subprocess.run(
        [sys.executable, "-c", probe, "explain", "--template", template, junction_callback()],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_asset_path_metadata_finds_the_bundled_config(tmp_path: Path, capsys) -> None:
    # The CDK CLI records aws:asset:path; an in-process synth does not (the manifest is used then).
    (tmp_path / "asset.abc" / "callback_router").mkdir(parents=True)
    config = {"environments": ["sandbox-eu"], "fallback": {"mode": "reject"}}
    (tmp_path / "asset.abc" / "callback_router" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    function = {
        "Type": "AWS::Lambda::Function",
        "Metadata": {"aws:cdk:path": "Edge/Router/Function", "aws:asset:path": "asset.abc"},
        "Properties": {"Handler": "callback_router.handlers.edge_handler"},
    }
    template = tmp_path / "Edge.template.json"
    template.write_text(json.dumps({"Resources": {"RouterFunctionAB12CD34": function}}), encoding="utf-8")
    code, out, err = run(capsys, "explain", "--template", str(template), junction_callback())
    assert code == 0, err
    assert "function:     Edge/Router/Function (RouterFunctionAB12CD34)" in out
    for function_id in ("Edge/Router", "Edge/Router/Function", "RouterFunction", "RouterFunctionAB12CD34"):
        assert run(capsys, "explain", "--template", str(template), "--function-id", function_id, "x")[0] == 1
    assert f"read from:    {tmp_path / 'asset.abc' / 'callback_router' / 'config.json'}" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a CloudFormation template (no Resources)"),
        (
            '{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "index.handler"}}}}',
            "has no router function",
        ),
        (
            '{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "callback_router.x",'
            ' "Environment": {"Variables": {"CALLBACK_ROUTER_CONFIG": {"Fn::Join": ["", [7, {"Ref": "X"}]]}}}}}}}',
            "F: its config ($CALLBACK_ROUTER_CONFIG of the function) is not valid JSON",
        ),
        (
            '{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "callback_router.x",'
            ' "Environment": {"Variables": {"CALLBACK_ROUTER_CONFIG": "{\\"environments\\": []}"}}}}}}',
            "config key 'environments': accept at least one environment",
        ),
        ("[" * 100_000, "is not valid JSON"),
        (
            '{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "callback_router.x",'
            ' "Environment": {"Variables": {"CALLBACK_ROUTER_CONFIG": "' + "[" * 100_000 + '"}}}}}}',
            "F: its config ($CALLBACK_ROUTER_CONFIG of the function) is not valid JSON",
        ),
        (
            '{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "callback_router.x",'
            ' "Environment": {"Variables": {"CALLBACK_ROUTER_CONFIG": "' + "[" * 900 + "]" * 900 + '"}}}}}}',
            "F: its config is nested too deeply",
        ),
        (
            '{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "callback_router.x"}}}}',
            "F: no $CALLBACK_ROUTER_CONFIG and its asset folder is not known",
        ),
        (  # a NUL in the asset path a hand-edited template names
            '{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Metadata": {"aws:asset:path": "a\\u0000b"},'
            ' "Properties": {"Handler": "callback_router.x"}}}}',
            "/callback_router/config.json' unreadable: a file name cannot hold a NUL",
        ),
    ],
)
def test_a_template_that_is_not_what_it_should_be_is_one_clear_line(tmp_path: Path, capsys, content, message) -> None:
    template = tmp_path / "Odd.template.json"
    template.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "explain", "--template", str(template), COMPANY_STATE)
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert line.startswith("error: ") and message in line


def stubbed_lambda(answer: dict[str, Any] | None = None, error: str | None = None) -> tuple[Any, Stubber]:
    client = botocore.session.get_session().create_client(
        "lambda", region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="fake"
    )
    stubber = Stubber(client)
    if error is not None:
        stubber.add_client_error("get_function_configuration", service_error_code=error, http_status_code=404)
    else:
        stubber.add_response("get_function_configuration", answer, {"FunctionName": "callback-router"})
    stubber.activate()
    return client, stubber


def test_explain_function_reads_the_deployed_environment(capsys) -> None:
    config = {"environments": ["sandbox-eu"], "fallback": {"mode": "redirect", "url": "https://auth.company.com/cb"}}
    answer = {
        "FunctionName": "callback-router",
        "Handler": "callback_router.handlers.api_handler",
        "Environment": {"Variables": {"CALLBACK_ROUTER_CONFIG": json.dumps(config)}},
    }
    client, stubber = stubbed_lambda(answer)
    code, out, err = run(capsys, "explain", "--function", "callback-router", junction_callback(), lambda_client=client)
    stubber.assert_no_pending_responses()
    assert code == 0, err
    assert "function:     callback-router" in out and "redirected:   yes" in out


def test_explain_function_with_a_bundled_config_points_at_template(capsys) -> None:
    answer = {"FunctionName": "callback-router", "Handler": "callback_router.handlers.edge_handler"}
    client, _ = stubbed_lambda(answer)
    code, out, err = run(capsys, "explain", "--function", "callback-router", COMPANY_STATE, lambda_client=client)
    assert (code, out) == (2, "")
    assert "its config is bundled in its code" in err and "--template cdk.out/STACK.template.json" in err


def test_explain_function_whose_config_is_not_json_is_one_clear_line(capsys) -> None:
    answer: dict[str, Any] = {"Handler": "callback_router.handlers.api_handler"}
    answer["Environment"] = {"Variables": {"CALLBACK_ROUTER_CONFIG": "[" * 100_000}}
    client, _ = stubbed_lambda(answer)
    code, out, err = run(capsys, "explain", "--function", "callback-router", COMPANY_STATE, lambda_client=client)
    assert (code, out) == (2, "")
    assert err.startswith("error: --function callback-router: its config is not JSON")


def test_explain_function_that_is_not_there_is_one_clear_line(capsys) -> None:
    client, _ = stubbed_lambda(error="ResourceNotFoundException")
    code, out, err = run(capsys, "explain", "--function", "callback-router", COMPANY_STATE, lambda_client=client)
    assert (code, out) == (2, "")
    assert err == "error: --function callback-router: the Lambda API answered ResourceNotFoundException\n"


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    for key, value in offline_environment().items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)


def test_preflight_refuses_a_placeholder_before_looking_at_aws(cdk_out: Path, capsys, no_credentials) -> None:
    code, out, err = run(capsys, "preflight", "--cdk-out", str(cdk_out))
    assert (code, out) == (1, "")
    assert "still points at placeholders; nothing was deployed" in err
    assert "key 'fallback.url': auth.example.com is under example.com" in err
    assert "credentials" not in err


def test_preflight_without_credentials_says_how_to_provide_them(cdk_out: Path, capsys, no_credentials) -> None:
    code, out, err = run(capsys, "preflight", "--template", str(cdk_out / "CompanyAuth.template.json"))
    assert (code, out) == (1, "")
    assert err.startswith("error: stack CompanyAuth: no usable AWS credentials (NoCredentialsError).")
    assert "AWS_PROFILE" in err and "npx cdk bootstrap aws://ACCOUNT/eu-west-1" in err


def test_preflight_when_sts_cannot_be_reached_says_the_network(
    cdk_out: Path, capsys, no_credentials, monkeypatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{port}")
    code, out, err = run(capsys, "preflight", "--template", str(cdk_out / "CompanyAuth.template.json"))
    assert (code, out) == (1, "")
    assert "AWS STS could not be reached" in err and "not the credentials" in err


def test_preflight_of_a_folder_that_is_no_cloud_assembly_is_one_clear_line(tmp_path: Path, capsys) -> None:
    code, out, err = run(capsys, "preflight", "--cdk-out", str(tmp_path))
    assert (code, out) == (1, "")
    assert err == f"error: {tmp_path / 'manifest.json'} unreadable: No such file or directory\n"


def test_usage_errors_exit_2(capsys) -> None:
    assert run(capsys, "explain", "--function-id", "X", COMPANY_STATE)[0] == 2
    assert run(capsys, "explain", "--region", "eu-west-1", COMPANY_STATE)[0] == 2
    assert run(capsys, "explain", "--template", "a", "--config", "b", COMPANY_STATE)[0] == 2
    assert run(capsys, "preflight")[0] == 2
    assert run(capsys)[0] == 2


def test_without_the_aws_sdk_function_and_preflight_say_what_to_install(cdk_out: Path) -> None:
    probe = (
        "import sys; sys.modules['boto3'] = None; "
        "from junction_callback_router.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    env = {**offline_environment(), "PYTHONPATH": os.pathsep.join(str(ROOT / part) for part in ("lambda", "infra"))}
    template = str(cdk_out / "CompanyAuth.template.json")
    for argv, status in [
        (["explain", "--function", "router", COMPANY_STATE], 2),
        (["preflight", "--template", template], 1),
    ]:
        done = subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert (done.returncode, done.stdout) == (status, "")
        assert done.stderr == "error: this needs the AWS SDK for Python: pip install boto3\n"


def test_preflight_reads_the_stacks_of_a_stage_s_nested_assembly(tmp_path: Path, capsys) -> None:
    # A cdk.Stage puts its stacks in assembly-NAME/ with a manifest of its own; odd artifacts are skipped.
    nested = tmp_path / "assembly-Prod"
    nested.mkdir()
    rule = {"Assertions": [{"AssertDescription": "CallbackRouter 'Router': key 'fallback.url': placeholder"}]}
    template = {"Resources": {}, "Rules": {"RouterRefusePlaceholderDeployment1A2B3C4D": rule}}
    (nested / "ProdAuth.template.json").write_text(json.dumps(template), encoding="utf-8")
    stack = {
        "type": "aws:cloudformation:stack",
        "environment": "aws://unknown-account/eu-west-1",
        "properties": {"templateFile": "ProdAuth.template.json"},
    }
    (nested / "manifest.json").write_text(json.dumps({"artifacts": {"ProdAuth": stack}}), encoding="utf-8")
    assembly = {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-Prod"}}
    artifacts = {"Prod": assembly, "odd": 7, "tree": {"type": "cdk:tree"}}
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": artifacts}), encoding="utf-8")
    code, out, err = run(capsys, "preflight", "--cdk-out", str(tmp_path))
    assert (code, out) == (1, "")
    assert err == (
        "error: stack ProdAuth still points at placeholders; nothing was deployed:\n"
        "  - CallbackRouter 'Router': key 'fallback.url': placeholder\n"
    )


def test_preflight_reads_each_assembly_once_however_the_manifests_point_at_each_other(tmp_path: Path, capsys) -> None:
    # A hand-edited manifest naming its own folder (or two naming each other) as a nested
    # assembly: each folder is read once, so a stack is listed once and the walk ends.
    rule = {"Assertions": [{"AssertDescription": "CallbackRouter 'Router': key 'fallback.url': placeholder"}]}
    template = {"Resources": {}, "Rules": {"RouterRefusePlaceholderDeployment1A2B3C4D": rule}}
    (tmp_path / "Auth.template.json").write_text(json.dumps(template), encoding="utf-8")
    (tmp_path / "other").mkdir()
    stack = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Auth.template.json"}}
    loops = {
        f"Self{index}": {"type": "cdk:cloud-assembly", "properties": {"directoryName": folder}}
        for index, folder in enumerate([".", "other"])
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {"Auth": stack, **loops}}), encoding="utf-8")
    back = {"Back": {"type": "cdk:cloud-assembly", "properties": {"directoryName": ".."}}}
    (tmp_path / "other" / "manifest.json").write_text(json.dumps({"artifacts": back}), encoding="utf-8")
    code, out, err = run(capsys, "preflight", "--cdk-out", str(tmp_path))
    assert (code, out) == (1, "")
    assert err == (
        "error: stack Auth still points at placeholders; nothing was deployed:\n"
        "  - CallbackRouter 'Router': key 'fallback.url': placeholder\n"
    )


@pytest.mark.parametrize(
    ("region", "message"),
    [
        (
            None,
            "error: no Lambda API client (NoRegionError: You must specify a region.); "
            "give --region or set AWS_REGION\n",
        ),
        ("bad/region", "error: no Lambda API client (InvalidRegionError: Provided region_name 'bad/region' doesn't"),
    ],
)
def test_explain_function_without_a_usable_region_is_one_clear_line(
    capsys, monkeypatch, tmp_path: Path, region: str | None, message: str
) -> None:
    # botocore refuses a missing or malformed region when the client is made, before any call.
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    code, out, err = run(
        capsys, "explain", "--function", "router", *(["--region", region] if region else []), COMPANY_STATE
    )
    assert (code, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1


def test_a_bundled_config_that_is_not_utf8_is_one_clear_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "asset.x" / "callback_router").mkdir(parents=True)
    bundled = tmp_path / "asset.x" / "callback_router" / "config.json"
    bundled.write_bytes(b'{"environments": ["sandbox-us\xff"]}')
    resource = {"Type": "AWS::Lambda::Function", "Metadata": {"aws:asset:path": "asset.x"}}
    resource["Properties"] = {"Handler": "callback_router.edge_handler.handler"}
    template = tmp_path / "Edge.template.json"
    template.write_text(json.dumps({"Resources": {"F": resource}}), encoding="utf-8")
    code, out, err = run(capsys, "explain", "--template", str(template), COMPANY_STATE)
    assert (code, out) == (2, "")
    assert err == f"error: {bundled} is not UTF-8 text (invalid start byte)\n"
