"""cdk-nag 3.x (AwsSolutionsChecks) and cfn-lint on every stage's synthesized stack."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks

from junction_callback_router.runtimes import NO_BYTECODE_WARNING
from tests.infra.conftest import STAGES, Synth, cfn_lint_errors


def violations(outdir: Path) -> list[str]:
    report = outdir / "validation-report.json"
    if not report.exists():
        return []
    found = []
    for plugin in json.loads(report.read_text(encoding="utf-8"))["pluginReports"]:
        for violation in plugin.get("violations", []):
            for construct in violation["violatingConstructs"]:
                found.append(f"{violation['ruleName']} at {construct['constructPath']}")
    return found


@pytest.mark.parametrize("name", STAGES)
def test_no_unacknowledged_nag_finding(synths: dict[str, Synth], name: str) -> None:
    # The session fixture synthesized with AwsSolutionsChecks registered: a finding fails synth.
    # The one warning allowed: this machine's Python is not the default runtime's (no .pyc ships).
    allowed = set() if sys.version_info[:2] == (3, 12) else {f"Annotation::{NO_BYTECODE_WARNING}"}
    found = violations(synths[name].outdir)
    assert {item.split(" at ")[0] for item in found} <= allowed, found


@pytest.mark.parametrize("name", STAGES)
def test_every_acknowledgement_has_a_reason(synths: dict[str, Synth], name: str) -> None:
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = []
    for construct in synths[name].stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                for rule, reason in dict(entry.data).items():
                    acknowledged.append(rule)
                    assert rule.startswith("AwsSolutions::AwsSolutions-"), rule
                    assert len(str(reason).split()) >= 10, f"{rule}: the reason must explain, not just exist"
    if synths[name].template.find_resources("AWS::Lambda::Function"):  # a CloudFront Function stage has none
        assert "AwsSolutions::AwsSolutions-L1" in acknowledged


def test_nag_is_active_and_fails_synth_on_a_finding(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Unacknowledged")
    lambda_.Function(
        stack,
        "Old",
        runtime=lambda_.Runtime.PYTHON_3_11,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context): pass"),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert any(finding.startswith("AwsSolutions-L1 at Unacknowledged/Old") for finding in violations(tmp_path))


@pytest.mark.parametrize("name", STAGES)
def test_cfn_lint_finds_no_error(synths: dict[str, Synth], name: str) -> None:
    synth = synths[name]
    region = synth.stack.region if not synth.stack.region.startswith("${") else "us-east-1"
    assert cfn_lint_errors(synth.json, [region, "eu-west-1"]) == []
