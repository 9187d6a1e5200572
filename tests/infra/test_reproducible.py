"""Two operators, two checkouts, one interpreter: the same stage synthesizes to the same assets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.infra.conftest import ROOT

DRIVER = """
import json, sys
from aws_cdk import App
from callback_router_app.stacks import build_app

context = json.load(open("cdk.json"))["context"]
app = App(context={**context, "stage": sys.argv[1]}, outdir=sys.argv[2])
build_app(app, environ={})
app.synth()
"""


def synth_in(checkout: Path, stage: str, cache: Path) -> dict[str, Any]:
    outdir = checkout / "cdk.out"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "CDK_", "AWS_"))}
    env |= {
        "PYTHONPATH": os.pathsep.join(str(checkout / part) for part in ("lambda", "infra", ".")),
        "JUNCTION_CALLBACK_ROUTER_CACHE": str(cache),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    (checkout / "driver.py").write_text(DRIVER, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "driver.py", stage, str(outdir)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (template,) = outdir.glob(f"JunctionCallbackRouter-{stage}.template.json")
    data: dict[str, Any] = json.loads(template.read_text(encoding="utf-8"))
    return data


def code_keys(template: dict[str, Any]) -> list[str]:
    return sorted(
        item["Properties"]["Code"]["S3Key"]
        for item in template["Resources"].values()
        if item["Type"] == "AWS::Lambda::Function"
    )


def test_two_checkouts_give_the_same_asset_hashes(tmp_path: Path) -> None:
    litter = shutil.ignore_patterns("__pycache__", "*.pyc", "config.json")
    checkouts = []
    for name in ("alice", "bob"):
        checkout = tmp_path / name
        for part in ("lambda", "infra"):
            shutil.copytree(ROOT / part, checkout / part, ignore=litter)
        shutil.copy2(ROOT / "cdk.json", checkout / "cdk.json")
        checkouts.append(checkout)
    cache = ROOT / ".build"  # the pip install for Lambda is shared; what is hashed is not
    stages = ("sandbox", "edge")
    first = {stage: code_keys(synth_in(checkouts[0], stage, cache)) for stage in stages}
    second = {stage: code_keys(synth_in(checkouts[1], stage, cache)) for stage in stages}
    assert first == second
    assert all(keys for keys in first.values())
    # and a change to what the function runs changes the hash
    config = json.loads((checkouts[1] / "cdk.json").read_text(encoding="utf-8"))
    config["context"]["stages"]["sandbox"]["providers"] = ["fitbit"]
    (checkouts[1] / "cdk.json").write_text(json.dumps(config), encoding="utf-8")
    shutil.rmtree(checkouts[1] / "cdk.out")
    assert code_keys(synth_in(checkouts[1], "sandbox", cache)) != first["sandbox"]
