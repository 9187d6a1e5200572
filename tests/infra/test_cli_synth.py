"""The real CDK CLI (``aws-cdk`` pinned in package.json) synthesizes a stage of each shape offline.

No AWS credentials, no configuration, instance metadata disabled: ``cdk synth`` must not need
an account. Each shape is synthesized once per session (see ``cli_synths`` in conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.infra.conftest import CDK_CLI, CLI_STAGES, ROOT, CliRun, cfn_lint_errors, start_cli_synth

pytestmark = pytest.mark.cdk

EXPECTED = {
    "sandbox": "AWS::ApiGatewayV2::Api",
    "rest-attach": "AWS::ApiGateway::Deployment",
    "http-attach": "AWS::ApiGatewayV2::Route",
    "function-url": "AWS::Lambda::Url",
    "edge": "AWS::CloudFront::Distribution",
    "edge-attach": "AWS::Lambda::Version",
    "edge-cloudfront-function": "AWS::CloudFront::Function",
}


def test_cli_is_the_pinned_version() -> None:
    pinned = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]["aws-cdk"]
    installed = json.loads((ROOT / "node_modules" / "aws-cdk" / "package.json").read_text(encoding="utf-8"))
    assert CDK_CLI.exists() and installed["version"] == pinned


@pytest.mark.parametrize("stage", sorted(CLI_STAGES.values()))
def test_cli_synth_offline(cli_synths: dict[str, CliRun], stage: str) -> None:
    run = cli_synths[stage]
    assert run.returncode == 0, run.output
    template = run.template()
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert EXPECTED[stage] in types
    print(f"cdk synth -c stage={stage}: {run.seconds:.1f} s")  # shown with -s / in the report


@pytest.mark.parametrize("stage", sorted(CLI_STAGES.values()))
def test_cli_templates_pass_cfn_lint(cli_synths: dict[str, CliRun], stage: str) -> None:
    assert cfn_lint_errors(cli_synths[stage].template(), ["us-east-1", "eu-west-1"]) == []


def test_cli_assets_are_bundled_without_docker(cli_synths: dict[str, CliRun]) -> None:
    run = cli_synths["edge-attach"]
    (asset,) = [path for path in run.outdir.glob("asset.*") if path.is_dir()]
    assert (asset / "callback_router" / "config.json").exists()
    assert not (asset / "jwt").exists()  # the edge asset is trimmed


def test_cli_reports_a_stage_mistake_in_one_line(tmp_path: Path) -> None:
    process = start_cli_synth("no-such-stage", tmp_path)
    output, _ = process.communicate(timeout=120)
    assert process.returncode != 0
    assert "error: stage 'no-such-stage': key 'stage': no such stage in cdk.json" in output
    assert "Traceback" not in output
