"""``make deploy`` / ``make diff`` preflight: placeholders refused and missing credentials explained,
before the CDK CLI runs (and so before anything reaches AWS)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from callback_router_app.stages import parse_stage
from junction_callback_router.safety import reserved_host_reason
from tests.infra.conftest import CONTEXT, ROOT, offline_environment

STAGES = CONTEXT["stages"]


def preflight(
    *arguments: str, cdk_json: Path | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tools.preflight", *arguments]
    if cdk_json is not None:
        command += ["--cdk-json", str(cdk_json)]
    env = {**offline_environment(), "PYTHONPATH": ":".join(str(ROOT / part) for part in ("lambda", "infra", "."))}
    env.update(extra_env or {})
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(
    ("host", "reserved"),
    [
        ("auth.example.com", True),
        ("example.org", True),
        ("auth.company.test", True),
        ("api.invalid", True),
        ("localhost", True),
        ("127.0.0.1", True),
        ("auth.example", True),
        ("auth.company.com", False),
        ("example.company.com", False),
        ("notexample.com", False),
        ("10.0.0.5", False),
    ],
)
def test_reserved_hosts(host: str, reserved: bool) -> None:
    assert (reserved_host_reason(host) is not None) == reserved


def test_every_sample_stage_with_a_placeholder_is_named() -> None:
    for name, data in STAGES.items():
        problems = parse_stage(name, data).placeholder_problems()
        hosts = json.dumps(data)
        assert bool(problems) == ("example.com" in hosts), name


def test_deploy_of_a_placeholder_stage_is_refused_with_the_key_to_set() -> None:
    result = preflight("--stage", "sandbox", "--deploy")
    assert result.returncode == 1
    assert "stage 'sandbox' still points at placeholders; nothing was deployed" in result.stderr
    assert "key 'fallback.url'" in result.stderr and "auth.example.com" in result.stderr
    assert "credentials" not in result.stderr  # refused before looking at AWS at all


def test_without_credentials_it_says_how_to_provide_them(tmp_path: Path) -> None:
    stage = {"shape": "edge_function", "environments": ["sandbox-us"]}
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({"context": {"stages": {"real": stage}}}), encoding="utf-8")
    result = preflight("--stage", "real", "--deploy", cdk_json=cdk_json)
    assert result.returncode == 1
    for text in ("no usable AWS credentials", "AWS_PROFILE", "aws sso login", "cdk bootstrap aws://ACCOUNT/us-east-1"):
        assert text in result.stderr, text
    assert "docs/DEPLOY.md" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_stage_is_one_clear_line() -> None:
    result = preflight("--stage", "nope")
    assert result.returncode == 1
    assert result.stderr.startswith("error: stage 'nope': key 'stage': no such stage in cdk.json")


def closed_loopback_port() -> int:
    """A loopback port nothing listens on (bound, then released): connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_when_sts_cannot_be_reached_it_says_the_network_not_the_credentials(tmp_path: Path) -> None:
    # Well-formed (fake) credentials, and STS at a loopback port where nothing listens: the
    # request never reaches AWS, so the credentials were never judged.
    stage = {"shape": "http_api", "environments": ["sandbox-us"], "region": "eu-west-1", "fallback": {"mode": "reject"}}
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({"context": {"stages": {"real": stage}}}), encoding="utf-8")
    endpoint = f"http://127.0.0.1:{closed_loopback_port()}"
    fake = {
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "fake",
        "AWS_ENDPOINT_URL_STS": endpoint,
    }
    result = preflight("--stage", "real", cdk_json=cdk_json, extra_env=fake)
    assert result.returncode == 1
    assert "no usable AWS credentials" not in result.stderr
    assert f"AWS STS could not be reached at {endpoint} (EndpointConnectionError)" in result.stderr
    assert "the network or the endpoint, not the credentials" in result.stderr
    assert "Traceback" not in result.stderr
