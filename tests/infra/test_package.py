"""The construct library as a user gets it: the release's sdist and wheel, installed into a fresh virtualenv.

The test builds an sdist from the package's own files with ``python -m build`` (offline: no build
isolation, the pinned setuptools) and the wheel from that sdist, as the release workflow does. It
checks both as a package index would (``twine check --strict``, ``check-wheel-contents``,
``validate-pyproject``) and lists what the wheel holds. It installs the wheel with pip into a new
virtualenv (its third-party dependencies come from the test's own environment through a ``.pth``
file, so no download is needed), then, from a directory outside the checkout:

* synthesizes a user's CDK app that puts the router on an HTTP API of the same app, bundling the
  Lambda code from site-packages (not from the checkout), and reads both packages' versions;
* runs the installed console script, ``junction-callback-router explain --template``, on it;
* type-checks that app with ``mypy --strict`` against the installed package.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

import callback_router

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
IMPORT_ALL = """
import importlib, json, pkgutil, sys
from importlib.metadata import distribution, packages_distributions
from packaging.requirements import Requirement

def closure(name):
    # The distribution's declared dependencies, and theirs (no extras), by normalised name.
    seen, todo = set(), [name]
    while todo:
        dist = distribution(todo.pop())
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen

declared = closure("junction-callback-router")
allowed = {top for top, dists in packages_distributions().items()
           if any(d.lower().replace("_", "-") in declared for d in dists)}
refused = []

class OnlyDeclared:
    # Third-party modules outside the declared dependencies fail to import, as in a clean install.
    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if path is None and top not in sys.stdlib_module_names and top not in allowed:
            refused.append(fullname)
            raise ModuleNotFoundError(f"not a declared dependency: {fullname}", name=fullname)
        return None

sys.meta_path.insert(0, OnlyDeclared())
imported = []
for package in ("junction_callback_router", "callback_router"):
    module = importlib.import_module(package)
    imported.append(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            importlib.import_module(info.name)
            imported.append(info.name)
print(json.dumps({"imported": imported, "files": [sys.modules[name].__file__ for name in imported]}))
"""
VERSIONS = """
import json
from importlib.metadata import version
import callback_router, junction_callback_router
packages = [junction_callback_router.__version__, callback_router.__version__]
print(json.dumps([version("junction-callback-router"), *packages]))
"""


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{command[:4]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's own files, as a fresh clone has them (no bytecode, no generated config)."""
    source = tmp_path_factory.mktemp("package") / "source"
    litter = shutil.ignore_patterns("__pycache__", "*.pyc", "config.json")
    for path in ("infra", "lambda"):
        shutil.copytree(ROOT / path, source / path, ignore=litter)
    for path in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / path, source / path)
    return source


@pytest.fixture(scope="module")
def dist(source: Path) -> Path:
    """``python -m build``: the sdist, then the wheel built from the unpacked sdist."""
    out = source.parent / "dist"
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), "."], source)
    return out


def only(folder: Path, pattern: str) -> Path:
    (path,) = folder.glob(pattern)
    return path


@pytest.fixture(scope="module")
def installed(dist: Path) -> Path:
    """A fresh virtualenv with the release's wheel installed by pip; returns its python."""
    root = dist.parent
    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], root)
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root).strip())
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    wheel = only(dist, "junction_callback_router-*.whl")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)], root)
    return python


def tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_sdist_and_wheel_pass_the_package_index_checks(source: Path, dist: Path) -> None:
    version = callback_router.__version__
    wheel = only(dist, f"junction_callback_router-{version}-py3-none-any.whl")
    sdist = only(dist, f"junction_callback_router-{version}.tar.gz")
    run([tool("twine"), "check", "--strict", str(sdist), str(wheel)], source)
    # Its settings (the two top-level packages, and that every file of them is in the wheel) are
    # read from the source's pyproject.toml.
    run([tool("check-wheel-contents"), str(wheel)], source)
    run([tool("validate-pyproject"), "pyproject.toml"], source)


def test_wheel_holds_the_two_packages_their_types_and_the_license_and_nothing_else(dist: Path) -> None:
    with zipfile.ZipFile(only(dist, "*.whl")) as wheel:
        names = wheel.namelist()
    info = f"junction_callback_router-{callback_router.__version__}.dist-info"
    assert {name.split("/")[0] for name in names} == {"callback_router", "junction_callback_router", info}
    package_files = {path.relative_to(ROOT / "lambda").as_posix() for path in (ROOT / "lambda").rglob("*.py")}
    library = ROOT / "infra" / "junction_callback_router"
    package_files |= {path.relative_to(ROOT / "infra").as_posix() for path in library.rglob("*.py")}
    assert {name for name in names if name.endswith(".py")} == package_files
    assert {name for name in names if not name.endswith(".py") and not name.startswith(info)} == {
        "callback_router/py.typed",
        "callback_router/requirements.txt",  # the function's runtime pins, which the constructs bundle
        "junction_callback_router/py.typed",
        "junction_callback_router/cloudfront_function.js",  # the CloudFront Function's template
    }
    assert f"{info}/licenses/LICENSE" in names


def test_metadata_says_what_a_legal_and_a_platform_team_ask(dist: Path) -> None:
    with zipfile.ZipFile(only(dist, "*.whl")) as wheel:
        info = f"junction_callback_router-{callback_router.__version__}.dist-info"
        metadata = HeaderParser().parsestr(wheel.read(f"{info}/METADATA").decode("utf-8"))
    assert metadata["Name"] == "junction-callback-router"
    assert metadata["Version"] == callback_router.__version__
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier") or []
    for classifier in ("Typing :: Typed", "Framework :: AWS CDK :: 2", "Programming Language :: Python :: 3.11"):
        assert classifier in classifiers
    assert {"junction", "oauth", "aws-cdk", "lambda-edge"} <= set(metadata["Keywords"].split(","))
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload() == (ROOT / "README.md").read_text(encoding="utf-8")
    with tarfile.open(only(dist, "*.tar.gz")) as sdist:
        top = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "PKG-INFO"} <= top
    assert not {name for name in top if name.split("/")[0] in {"tests", "tools", "benchmarks", "examples"}}


def test_installed_wheel_reports_the_changelog_version(installed: Path, tmp_path: Path) -> None:
    """The distribution and both import packages agree (test_release.py ties it to CHANGELOG.md)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    reported = json.loads(run([str(installed), "-c", VERSIONS], tmp_path, env).strip().splitlines()[-1])
    assert reported == [callback_router.__version__] * 3


def test_every_public_module_imports_with_only_the_declared_dependencies(installed: Path, tmp_path: Path) -> None:
    """A clean ``pip install`` has the declared dependencies (and theirs) and nothing else: no cdk_nag, no app."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "CDK_"))}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    found = json.loads(run([str(installed), "-c", IMPORT_ALL], tmp_path, env).strip().splitlines()[-1])
    modules = {
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for root, package in ((ROOT / "infra", "junction_callback_router"), (ROOT / "lambda", "callback_router"))
        for path in (root / package).rglob("*.py")
    }
    public = {name for name in modules if not any(part.startswith("_") for part in name.split(".")[1:])}
    assert set(found["imported"]) == public
    venv = installed.parent.parent
    assert all(Path(path).is_relative_to(venv) for path in found["files"])


def test_the_standalone_app_is_not_in_the_library_and_reads_the_checkouts_cdk_json() -> None:
    from callback_router_app import stages

    assert stages.CDK_JSON == ROOT / "cdk.json"
    assert not (ROOT / "infra" / "junction_callback_router" / "stacks.py").exists()
    imported = set()
    for path in (ROOT / "infra" / "junction_callback_router").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert not imported & {"callback_router_app", "cdk_nag", "tools", "tests"}


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
    # The router, and the company's own callback function it takes over (examples/http_api.py).
    handlers = sorted(item["Properties"]["Handler"] for item in functions)
    assert handlers == ["callback_router.handlers.api_handler", "index.handler"]
    (asset,) = [path for path in (tmp_path / "out").glob("asset.*") if (path / "callback_router").is_dir()]
    assert (asset / "callback_router" / "config.json").is_file()
    assert (asset / "h11").is_dir()  # the function's one runtime requirement
    assert not (asset / "jwt").exists() and not (asset / "aws_lambda_powertools").exists()
    # The console script installed with the package reads that app's synthesized stack.
    script = str(installed.with_name("junction-callback-router"))
    company = "/oauth_callback/fitbit?code=1&state=company-csrf-value"
    result = subprocess.run(
        [script, "explain", "--template", str(template_path), company],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # not redirected: the documented exit status
    assert "fallback:     invoke <deploy-time: CompanyCallback.Arn>" in result.stdout
    assert "redirected:   no: state is not a JWT" in result.stdout


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
