"""The built assets are complete and small: each one, unzipped, serves real events on its own.

The handler runs in a fresh interpreter with ``-I -S`` (isolated, no ``site``: no site-packages,
no user site, no PYTHON* variables) and only the asset directory on ``sys.path``, the way Lambda
runs it from ``/var/task``. A module missing from the asset fails here, not at the edge.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from callback_router_app.stages import parse_stage
from junction_callback_router.bundling import build_asset, lambda_python_version
from tests.support.contexts import context_source
from tests.support.events import DEFAULT_PATH, PROVIDER_ROUTE, cloudfront_event, http_api_event
from tests.support.tokens import PRODUCTION_US, SANDBOX_US, mint_token

EDGE_BUDGET = 350 * 1024
"""Issue 5's target for the zipped edge asset (Lambda@Edge's hard limit for viewer request is 1 MB)."""
QUERY = "code=4d0a6bcf3f8a4a9e&state={state}&scope=activity%20heartrate&x=a%2Fb+c~d"

RUNNER = r"""
import json, sys, os
asset = os.getcwd()
sys.path.insert(0, asset)
assert not any("site-packages" in entry for entry in sys.path), sys.path
from callback_router import handlers
handler = getattr(handlers, sys.argv[1])

{context}
events = json.load(sys.stdin)
at_init = set(sys.modules)
results = [handler(event, Context()) for event in events]
loaded_by_events = sorted(set(sys.modules) - at_init)
outside = sorted(
    name for name, module in sys.modules.items()
    if getattr(module, "__file__", None) and "site-packages" in module.__file__
)
loaded = [m for m in sys.modules.values() if (getattr(m, "__file__", None) or "").startswith(asset)]
sourceless = sorted(m.__name__ for m in loaded if type(m.__loader__).__name__ == "SourcelessFileLoader")
uncached = sorted(
    m.__name__ for m in loaded
    if type(m.__loader__).__name__ != "SourcelessFileLoader" and not os.path.exists(m.__cached__ or "")
)
print(json.dumps({"results": results, "outside": outside, "sourceless": sourceless, "uncached": uncached,
                  "jwt": "jwt" in sys.modules, "event_handler": "aws_lambda_powertools.event_handler" in sys.modules,
                  "loaded_by_events": loaded_by_events, "http_client_at_init": "http.client" in at_init}))
""".replace("{context}", context_source())


def zipped_size(directory: Path, into: Path) -> int:
    with zipfile.ZipFile(into, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return into.stat().st_size


def run_isolated(asset: Path, handler: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Unzip-equivalent: the asset directory is all there is. Returns the runner's JSON report."""
    process = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", RUNNER, handler],
        cwd=asset,
        input=json.dumps(events),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stderr
    last_line = process.stdout.strip().splitlines()[-1]
    report: dict[str, Any] = json.loads(last_line)
    return report


def unzip(asset: Path, tmp_path: Path) -> Path:
    archive = tmp_path / f"{asset.name}.zip"
    zipped_size(asset, archive)
    target = tmp_path / f"{asset.name}-unzipped"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(target)
    return target


@pytest.fixture(scope="module")
def api_asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An HTTP API asset whose fallback is a redirect, so the pass-through needs no network."""
    stage = parse_stage(
        "asset-test",
        {
            "environments": ["sandbox-us", "sandbox-eu"],
            "fallback": {"mode": "redirect", "url": "https://auth.example.com/legacy/{provider}"},
        },
    )
    return build_asset("api", stage, tmp_path_factory.mktemp("api-asset") / "asset")


def test_edge_asset_fits_the_budget(built_assets: dict[str, Path], tmp_path: Path) -> None:
    size = zipped_size(built_assets["edge"], tmp_path / "edge.zip")
    print(f"edge asset zipped: {size / 1024:.1f} KB (budget 350 KB, Lambda@Edge limit 1024 KB)")
    assert size <= EDGE_BUDGET


def test_api_asset_size_is_reported(built_assets: dict[str, Path], tmp_path: Path) -> None:
    size = zipped_size(built_assets["api"], tmp_path / "api.zip")
    print(f"api asset zipped: {size / 1024:.1f} KB (Lambda limit 50 MB zipped)")
    assert size < 50 * 1024 * 1024
    # No handler imports Powertools or PyJWT (issue 15): neither is shipped.
    for package in ("jwt", "aws_lambda_powertools", "jmespath", "typing_extensions.py"):
        assert not (built_assets["api"] / package).exists(), package


def test_edge_asset_leaves_out_what_the_viewer_request_handler_never_imports(built_assets: dict[str, Path]) -> None:
    edge = built_assets["edge"]
    assert not (edge / "jwt").exists()
    assert not list(edge.glob("*jwt*.dist-info"))
    # Logs and EMF metrics are written by callback_router.powertools_format: no Powertools at all.
    for package in ("aws_lambda_powertools", "jmespath", "typing_extensions.py", "typing_extensions.pyc", "h11"):
        assert not (edge / package).exists(), package
    assert not list(edge.glob("h11*.dist-info"))  # the proxy fallback's HTTP/1.1: API asset only
    assert (built_assets["api"] / "h11" / "_connection.py").is_file()
    assert not list(edge.rglob("bin"))


def command_line_problems(module: Path) -> list[str]:
    """What makes ``module`` a command line: its name, a ``__main__`` block, or parsing ``argv``."""
    problems = [module.name] if module.stem == "__main__" else []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"), str(module))):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        problems += [f"imports {name}" for name in names if name.split(".")[0] in ("argparse", "optparse", "getopt")]
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "__name__":
            problems.append("has an `if __name__ == ...` block")
        if isinstance(node, ast.Attribute) and node.attr == "argv":
            problems.append("reads argv")
    return problems


def test_no_command_line_module_ships_in_an_asset(built_assets: dict[str, Path]) -> None:
    # explain's command line is tools/explain.py: a Lambda asset holds the function and nothing to run by hand.
    for kind, asset in built_assets.items():
        assert not (asset / "tools").exists() and not (asset / "__main__.py").exists(), kind
        package = asset / "callback_router"
        assert not list(package.rglob("__main__*")), kind  # neither source nor a sourceless .pyc
        found = {
            module.relative_to(asset).as_posix(): command_line_problems(module) for module in package.rglob("*.py")
        }
        assert "callback_router/explain.py" in found  # the pure findings stay in the function package
        assert {name: problems for name, problems in found.items() if problems} == {}, kind


def test_assets_carry_the_stage_config(built_assets: dict[str, Path]) -> None:
    config = json.loads((built_assets["edge"] / "callback_router" / "config.json").read_text(encoding="utf-8"))
    assert config["environments"] == ["production-us", "production-eu"]  # stage "edge" in cdk.json
    assert not list(built_assets["api"].rglob("tests"))


def test_pyc_are_hash_based_for_the_lambda_runtime(built_assets: dict[str, Path]) -> None:
    version = lambda_python_version()
    assert version == f"{sys.version_info.major}.{sys.version_info.minor}"  # runtime follows the bundler
    tag = f"cpython-{version.replace('.', '')}"
    pyc = next((built_assets["api"] / "callback_router" / "core" / "__pycache__").glob(f"decision.{tag}.pyc"))
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags == 0b01  # PEP 552: hash-based, unchecked -- valid whatever mtimes the zip gives the source


def test_edge_asset_runs_isolated(built_assets: dict[str, Path], tmp_path: Path) -> None:
    asset = unzip(built_assets["edge"], tmp_path)
    redirect_query = QUERY.format(state=mint_token(PRODUCTION_US))
    pass_through = cloudfront_event(DEFAULT_PATH, QUERY.format(state="my-own-csrf-state"))
    foreign = cloudfront_event(DEFAULT_PATH, QUERY.format(state=mint_token(SANDBOX_US)))
    report = run_isolated(
        asset,
        "viewer_request_handler",
        [cloudfront_event(DEFAULT_PATH, redirect_query), pass_through, foreign, {"not": "cloudfront"}],
    )
    redirect, passed, foreign_result, garbage = report["results"]
    assert redirect["status"] == "307"
    assert redirect["headers"]["location"] == [
        {"key": "Location", "value": f"{PRODUCTION_US}/connect/fitbit?{redirect_query}"}
    ]
    assert passed == pass_through["Records"][0]["cf"]["request"]  # unchanged, on to the origin
    assert foreign_result == foreign["Records"][0]["cf"]["request"]  # sandbox token at production: not redirected
    assert garbage["status"] == "400"
    assert report["outside"] == []
    assert report["jwt"] is False and report["event_handler"] is False
    assert report["loaded_by_events"] == []  # everything a callback needs is imported during init
    assert report["sourceless"] == []  # no third-party code left to ship as bytecode only
    assert report["uncached"] == []  # and every module loaded from the asset had its .pyc


def test_http_api_asset_runs_isolated(api_asset: Path, tmp_path: Path) -> None:
    asset = unzip(api_asset, tmp_path)
    junction_token = mint_token([SANDBOX_US])
    redirect_query = QUERY.format(state=junction_token)
    own_query = QUERY.format(state="my-own-csrf-state")
    report = run_isolated(
        asset,
        "http_api_handler",
        [
            http_api_event(DEFAULT_PATH, query, route_key=f"ANY {PROVIDER_ROUTE}")
            for query in (redirect_query, own_query)
        ],
    )
    redirect, fallback = report["results"]
    assert redirect["statusCode"] == 307
    assert redirect["headers"]["Location"] == f"{SANDBOX_US}/connect/fitbit?{redirect_query}"
    assert redirect["body"] in ("", None)
    assert fallback["statusCode"] == 307  # the stage's fallback: redirect to the company's own callback
    assert fallback["headers"]["Location"] == f"https://auth.example.com/legacy/fitbit?{own_query}"
    assert report["outside"] == []
    assert report["uncached"] == []
    # The lean path (issue 15): no PyJWT, no Powertools, and no HTTP client for a redirect fallback.
    assert report["jwt"] is False and report["event_handler"] is False
    assert report["http_client_at_init"] is False
    assert report["loaded_by_events"] == []


def test_no_bytecode_ships_when_no_python_of_the_runtime_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A .pyc of another minor version is ignored next to its source: none ships, every module keeps its source.
    other = "3.12" if sys.version_info[:2] != (3, 12) else "3.13"
    monkeypatch.setenv("PATH", str(tmp_path))  # no python3.12 there, and no variable names one
    for name in [name for name in os.environ if name.startswith("JUNCTION_CALLBACK_ROUTER_PYTHON")]:
        monkeypatch.delenv(name)
    stage = parse_stage("other-runtime", {"shape": "edge_function", "environments": ["sandbox-us"]})
    asset = build_asset("edge", stage, tmp_path / "edge", python_version=other)
    assert not list(asset.rglob("*.pyc"))
    assert (asset / "callback_router" / "edge_handler.py").is_file()
