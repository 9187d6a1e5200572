"""The construct library as a user gets it: ``pip install`` of this repository into a fresh virtualenv.

The test builds the wheel from the checkout, installs it with pip into a new virtualenv (its
third-party dependencies come from the test's own environment through a ``.pth`` file, so no
download is needed), then, from a directory outside the checkout:

* synthesizes a user's CDK app that puts the router on an HTTP API of the same app, bundling the
  Lambda code from site-packages (not from the checkout);
* type-checks that app with ``mypy --strict`` against the installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USER_APP = (ROOT / "examples" / "http_api.py").read_text(encoding="utf-8")
DRIVER = """
import json, sys
from aws_cdk import App
import callback_router, junction_callback_router
from user_app import build

app = App(outdir="out")
stack = build(app)
app.synth()
print(json.dumps({"constructs": junction_callback_router.__file__, "function": callback_router.__file__}))
"""


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{command[:4]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel of this checkout installed by pip; returns its python."""
    root = tmp_path_factory.mktemp("package")
    source = root / "source"  # what `pip install git+<repo>` builds from: the package's own files
    litter = shutil.ignore_patterns("__pycache__", "*.pyc", "config.json")
    for path in ("infra", "lambda"):
        shutil.copytree(ROOT / path, source / path, ignore=litter)
    for path in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / path, source / path)
    wheels = root / "wheels"
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(wheels), "."],
        source,
    )
    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root)
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root).strip())
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    (wheel,) = wheels.glob("junction_callback_router-*.whl")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)], root)
    return python


def test_user_app_synthesizes_from_the_installed_package(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "user_app.py").write_text(USER_APP, encoding="utf-8")
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "CDK_"))}
    env["JUNCTION_CALLBACK_ROUTER_CACHE"] = str(ROOT / ".build")  # reuse the Lambda pip install
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    paths = json.loads(run([str(installed), "driver.py"], tmp_path, env).strip().splitlines()[-1])
    venv = installed.parent.parent
    for path in paths.values():  # imported from site-packages, not from the checkout
        assert Path(path).is_relative_to(venv), path
    (template_path,) = (tmp_path / "out").glob("CompanyAuth.template.json")
    template = json.loads(template_path.read_text(encoding="utf-8"))
    functions = [item for item in template["Resources"].values() if item["Type"] == "AWS::Lambda::Function"]
    assert [item["Properties"]["Handler"] for item in functions] == ["callback_router.handlers.api_handler"]
    (asset,) = [path for path in (tmp_path / "out").glob("asset.*") if (path / "callback_router").is_dir()]
    assert (asset / "callback_router" / "config.json").is_file()
    assert (asset / "jwt").is_dir() and (asset / "aws_lambda_powertools").is_dir()


def test_user_app_passes_mypy_strict_against_the_installed_package(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "user_app.py").write_text(USER_APP, encoding="utf-8")
    mypy = Path(sys.executable).with_name("mypy")
    run(
        [
            str(mypy),
            "--strict",
            "--python-executable",
            str(installed),
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "package"),
            "user_app.py",
        ],
        tmp_path,
        {key: value for key, value in os.environ.items() if key != "MYPYPATH"},
    )
