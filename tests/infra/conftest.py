"""Session fixtures for the infrastructure tests: every stage synthesized once, in process and by the CLI.

In-process synths give ``aws_cdk.assertions.Template`` objects; the CLI synths prove that
``cdk synth -c stage=NAME`` works offline with no AWS credentials. Both run cdk-nag (a finding
that is not acknowledged fails synth). Each stage is synthesized once per session.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from callback_router_app.stacks import RouterStack, build_app
from callback_router_app.stages import CDK_JSON, Stage, load_stage
from junction_callback_router.bundling import build_asset

ROOT = Path(__file__).resolve().parents[2]
CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"
CONTEXT: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]
STAGES = sorted(CONTEXT["stages"])
CLI_STAGES = {"http_api": "sandbox", "existing_rest_api": "rest-attach", "existing_http_api": "http-attach"}
CLI_STAGES |= {"function_url": "function-url", "edge": "edge", "edge_function": "edge-attach"}
CLI_STAGES |= {"cloudfront_function": "edge-cloudfront-function"}
"""One example stage per shape for the real CLI."""

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class Synth:
    """One stage synthesized in process."""

    stage: Stage
    stack: RouterStack
    template: Template
    outdir: Path

    @property
    def json(self) -> dict[str, Any]:
        """The CloudFormation template."""
        result: dict[str, Any] = dict(self.template.to_json())
        return result


def cfn_lint_errors(template: dict[str, Any], regions: list[str]) -> list[str]:
    """cfn-lint's errors (rules ``E*``; warnings are CDK's own redundant ``DependsOn``) for a template."""
    from cfnlint.api import lint  # type: ignore[import-untyped]
    from cfnlint.config import ManualArgs  # type: ignore[import-untyped]

    matches = lint(json.dumps(template), config=ManualArgs(regions=regions))
    return [f"{match.rule.id}: {match.message} ({match.path})" for match in matches if match.rule.id.startswith("E")]


def synth_stage(name: str, outdir: Path, context: dict[str, Any] | None = None) -> Synth:
    """Build and synthesize ``name`` the way ``app.py`` does (cdk-nag included)."""
    app = App(context={**CONTEXT, **(context or {}), "stage": name}, outdir=str(outdir))
    stack = build_app(app, environ={})
    app.synth()
    return Synth(stage=stack.stage, stack=stack, template=Template.from_stack(stack), outdir=outdir)


@pytest.fixture(scope="session")
def synths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synth]:
    """Every stage of cdk.json, synthesized in process."""
    return {name: synth_stage(name, tmp_path_factory.mktemp(f"synth-{name}")) for name in STAGES}


@dataclass
class CliRun:
    """One ``cdk synth`` run of the real CLI."""

    stage: str
    returncode: int
    output: str
    outdir: Path
    seconds: float

    def template(self) -> dict[str, Any]:
        """The synthesized template of the stage's stack."""
        (path,) = self.outdir.glob("*.template.json")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data


def offline_environment() -> dict[str, str]:
    """The test's environment without AWS credentials or configuration, and no network use by the CLI."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "CDK_DISABLE_VERSION_CHECK": "true",
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
    )
    env.pop("CDK_DEFAULT_ACCOUNT", None)
    env.pop("CDK_DEFAULT_REGION", None)
    return env


def start_cli_synth(stage: str, outdir: Path) -> subprocess.Popen[str]:
    """Start ``cdk synth -c stage=NAME`` (quiet, no notices) writing to ``outdir``."""
    return subprocess.Popen(
        [str(CDK_CLI), "synth", "--quiet", "--no-notices", "-c", f"stage={stage}", "--output", str(outdir)],
        cwd=ROOT,
        env=offline_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="session")
def cli_synths(tmp_path_factory: pytest.TempPathFactory, built_assets: dict[str, Path]) -> dict[str, CliRun]:
    """The real CLI's synth of one stage per shape, two at a time (2-core CI machines).

    Depends on ``built_assets`` only so that the pip cache under .build/ is warm first.
    """
    pending = list(CLI_STAGES.values())
    running: list[tuple[str, Path, float, subprocess.Popen[str]]] = []
    runs: dict[str, CliRun] = {}
    while pending or running:
        while pending and len(running) < 2:
            stage = pending.pop(0)
            outdir = tmp_path_factory.mktemp(f"cli-{stage}")
            running.append((stage, outdir, time.monotonic(), start_cli_synth(stage, outdir)))
        stage, outdir, started, process = running.pop(0)
        output, _ = process.communicate(timeout=300)
        runs[stage] = CliRun(stage, process.returncode, output, outdir, time.monotonic() - started)
    return runs


@pytest.fixture(scope="session")
def built_assets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The API asset (stage ``sandbox``) and the edge asset (stage ``edge``), with .pyc, built once."""
    root = tmp_path_factory.mktemp("assets")
    yield {
        "api": build_asset("api", load_stage("sandbox"), root / "api"),
        "edge": build_asset("edge", load_stage("edge"), root / "edge"),
    }
