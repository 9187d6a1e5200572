"""``python -m callback_router explain``: findings, Location and exit codes, in process and as a command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callback_router.__main__ import main
from tests.conftest import PRODUCTION_US, SANDBOX_US, mint_token

ROOT = Path(__file__).resolve().parents[2]
CONFIG = {
    "environments": ["sandbox-us"],
    "routes": [{"path": "/oauth_callback/{provider}"}, {"path": "/auth/strava/callback", "provider": "strava"}],
    "fallback": {"mode": "reject"},
}
QUERY_TAIL = "code=ab+cd%2Fef%20g&scope=a=b&empty=&scope=x~y"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIG), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["explain", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_accepted_token_in_a_callback_url_gives_the_exact_location(capsys, config_file):
    token = mint_token(SANDBOX_US)
    url = f"https://auth.example.com/oauth_callback/oura?{QUERY_TAIL}&state={token}#_=_"
    code, out, _ = run(capsys, "--config", str(config_file), url)
    assert code == 0
    assert "Junction Link Token" in out
    assert "environment:  sandbox-us" in out
    assert "sub:          link-session-1" in out
    assert "team_id:      team-1" in out
    assert "user_id:      user-1" in out
    assert f"Location:     {SANDBOX_US}/connect/oura?{QUERY_TAIL}&state={token}\n" in out
    assert token not in out.replace(f"{QUERY_TAIL}&state={token}", "")  # the token only inside the Location


def test_fixed_route_gives_its_provider(capsys, config_file):
    token = mint_token(SANDBOX_US)
    code, out, _ = run(capsys, "--config", str(config_file), f"/auth/strava/callback?state={token}&code=1")
    assert code == 0
    assert f"Location:     {SANDBOX_US}/connect/strava?state={token}&code=1" in out


def test_foreign_environment_is_named_and_not_accepted(capsys, config_file):
    code, out, _ = run(
        capsys, "--json", "--config", str(config_file), f"/oauth_callback/fitbit?state={mint_token(PRODUCTION_US)}"
    )
    found = json.loads(out)
    assert code == 1
    assert found["is_link_token"] is True
    assert found["environment"] == "production-us"
    assert found["decision"] == "ForeignEnvironment"
    assert found["reason"] == "environment_not_accepted"
    assert found["location"] is None
    assert found["claims"] == {"sub": "link-session-1", "team_id": "team-1", "user_id": "user-1"}


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("success", "state_not_a_jwt"),  # Junction's own redirect back to the company
        ("company-own-state-42", "state_not_a_jwt"),
        (mint_token("https://evil.example/v2/link"), "audience_not_junction"),
    ],
)
def test_not_junction_states(capsys, config_file, state, reason):
    code, out, _ = run(capsys, "--json", "--config", str(config_file), state)
    found = json.loads(out)
    assert code == 1
    assert found["reason"] == reason
    assert found["is_link_token"] is False
    assert found["location"] is None


def test_bare_state_assumes_a_provider_or_takes_one(capsys, config_file):
    token = mint_token(SANDBOX_US)
    code, out, _ = run(capsys, "--config", str(config_file), "--provider", "whoop_v2", token)
    assert code == 0
    assert f"Location:     {SANDBOX_US}/connect/whoop_v2?state={token}" in out


def test_path_without_route_is_not_a_callback(capsys, config_file):
    code, out, _ = run(capsys, "--config", str(config_file), f"/elsewhere?state={mint_token(SANDBOX_US)}")
    assert code == 1
    assert "NotACallback (no_route)" in out


def test_usage_and_config_errors_exit_2(capsys, tmp_path):
    assert main([]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"environments": ["nowhere"]}', encoding="utf-8")
    code, _, err = run(capsys, "--config", str(bad), "x")
    assert code == 2
    assert "environments[0]" in err
    code, _, err = run(capsys, "--config", str(tmp_path / "missing.json"), "x")
    assert code == 2


def test_command_line_reads_the_environment_variable():
    token = mint_token(SANDBOX_US)
    env = {**os.environ, "CALLBACK_ROUTER_CONFIG": json.dumps(CONFIG), "PYTHONPATH": str(ROOT / "lambda")}
    done = subprocess.run(
        [sys.executable, "-m", "callback_router", "explain", f"/oauth_callback/fitbit?state={token}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Location:     {SANDBOX_US}/connect/fitbit?state={token}" in done.stdout


def test_make_explain_feeds_the_stage_config():
    token = mint_token(PRODUCTION_US)
    done = subprocess.run(
        ["make", "--no-print-directory", "explain", "STAGE=production", f"STATE=/oauth_callback/oura?state={token}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "accepts:      production-eu, production-us" in done.stdout
    assert f"Location:     {PRODUCTION_US}/connect/oura?state={token}" in done.stdout


def test_explain_stays_out_of_the_handlers_import_path():
    code = (
        "import sys, callback_router.handlers as h; h.viewer_request_handler; h.http_api_handler; "
        "print('callback_router.explain' in sys.modules)"
    )
    env = {
        **os.environ,
        "CALLBACK_ROUTER_CONFIG": json.dumps(CONFIG),
        "PYTHONPATH": str(ROOT / "lambda"),
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.stdout.strip() == "False", done.stderr
