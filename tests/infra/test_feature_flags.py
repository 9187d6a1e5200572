"""CDK feature flags in ``cdk.json`` are set deliberately: the ones ``cdk init`` writes for the pinned aws-cdk-lib.

``cdk init`` copies aws-cdk-lib's ``recommended-feature-flags.json`` into ``cdk.json``; the same
list is read here from the installed library, so bumping aws-cdk-lib without revisiting the flags
fails this test instead of leaving new flags at their legacy defaults.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import aws_cdk
import pytest

from tests.infra.conftest import CLI_STAGES, CONTEXT, CliRun

DELIBERATELY_DIFFERENT: dict[str, Any] = {
    # With it, every Lambda function gets a CDK-made /aws/lambda/<name> group with 2 years'
    # retention, kept after the stack is deleted. The router makes its log groups itself (with
    # the stage's log_retention_days); for the edge function the two would carry the same name
    # and the deploy would fail. tests/infra/test_shapes.py checks every group's retention.
    "@aws-cdk/aws-lambda:useCdkManagedLogGroup": False,
}
"""Flags set against the recommendation, each with its reason."""


def recommended_flags() -> dict[str, Any]:
    """aws-cdk-lib's ``recommended-feature-flags.json``, from the jsii tarball of the installed package."""
    (tarball,) = (Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz")
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        flags: dict[str, Any] = json.load(member)
    return flags


def test_cdk_json_sets_every_recommended_flag() -> None:
    recommended = recommended_flags()
    assert len(recommended) > 80  # the file was found and read (89 for aws-cdk-lib 2.275)
    missing = sorted(set(recommended) - set(CONTEXT))
    assert missing == []
    differing = {name: CONTEXT[name] for name, value in recommended.items() if CONTEXT[name] != value}
    assert differing == DELIBERATELY_DIFFERENT


@pytest.mark.cdk
@pytest.mark.parametrize("stage", sorted(CLI_STAGES.values()))
def test_cli_synth_prints_no_unconfigured_flags_notice(cli_synths: dict[str, CliRun], stage: str) -> None:
    run = cli_synths[stage]
    assert run.returncode == 0, run.output
    assert "feature flags are not configured" not in run.output
