"""``python -m tools.explain``: findings, Location and exit codes, in process and as a command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tokens import PRODUCTION_US, SANDBOX_US, mint_token
from tools.explain import NEEDS_INFRA, main

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
    code = main(list(args))
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


@pytest.mark.parametrize(
    ("pasted", "reason"),
    [
        ("code=1&st%61te={token}", "accepted_audience"),  # used to be read as one odd bare state
        ("state={token}&%73tate=x", "repeated_state"),  # used to say "redirected"
        ("state={token}&state", "repeated_state"),
        ("/oauth_callback/fitbit?state&code=1", "state_not_a_jwt"),
    ],
)
def test_a_pasted_query_is_read_the_way_every_front_reads_it(capsys, config_file, pasted, reason):
    _, out, _ = run(capsys, "--json", "--config", str(config_file), pasted.format(token=mint_token(SANDBOX_US)))
    assert json.loads(out)["reason"] == reason


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
    env = {**os.environ, "CALLBACK_ROUTER_CONFIG": json.dumps(CONFIG), "PYTHONPATH": f"{ROOT / 'lambda'}:{ROOT}"}
    done = subprocess.run(
        [sys.executable, "-m", "tools.explain", f"/oauth_callback/fitbit?state={token}"],
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


def explain_command(*args: str, cwd: Path, pythonpath: list[Path]) -> subprocess.CompletedProcess[str]:
    """``python -m tools.explain ...`` in a fresh interpreter with exactly ``pythonpath`` to import from."""
    env = {key: value for key, value in os.environ.items() if key != "CALLBACK_ROUTER_CONFIG"}
    env["PYTHONPATH"] = os.pathsep.join(map(str, pythonpath))
    return subprocess.run(
        [sys.executable, "-m", "tools.explain", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_answer_does_not_depend_on_whether_infra_is_importable(tmp_path):
    # Stage "broken" would fail cdk synth. Without infra/ on the path the old command read the
    # stages with the runtime parser alone and called it a redirecting stage (exit 0).
    write_cdk_json(tmp_path)
    token = mint_token(SANDBOX_US)
    with_infra = explain_command(token, cwd=tmp_path, pythonpath=[ROOT / "lambda", ROOT / "infra", ROOT])
    assert with_infra.returncode == 0, with_infra.stderr
    assert "stage broken: invalid: stage 'broken': key 'origin_domain_name'" in with_infra.stdout
    without = explain_command(token, cwd=tmp_path, pythonpath=[ROOT / "lambda", ROOT])
    assert without.returncode == 2
    assert without.stdout == ""
    [line] = without.stderr.splitlines()  # one line, no traceback
    assert line.startswith("error: ") and line.endswith(NEEDS_INFRA)


def test_with_a_config_the_command_never_starts_the_cdk(tmp_path):
    # Reading a stage needs callback_router_app.stages (and with it jsii, seconds to start);
    # a given config needs only the function package, even where a cdk.json and infra/ are at hand.
    write_cdk_json(tmp_path)
    probe = (
        "import sys; from tools.explain import main; code = main(sys.argv[1:]); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'junction_callback_router', 'aws_cdk', 'jsii'})); "
        "sys.exit(code)"
    )
    token = mint_token(SANDBOX_US)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, [ROOT / "lambda", ROOT / "infra", ROOT]))}
    for args, extra in [(["--config", "cfg.json"], {}), ([], {"CALLBACK_ROUTER_CONFIG": json.dumps(CONFIG)})]:
        (tmp_path / "cfg.json").write_text(json.dumps(CONFIG), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-c", probe, *args, f"/oauth_callback/fitbit?state={token}"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**env, **extra},
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"context": []}', '{"context": {"stages": [1]}}'])
def test_a_cdk_json_that_is_no_cdk_app_is_a_clear_answer(capsys, no_config, content):
    (no_config / "cdk.json").write_text(content, encoding="utf-8")
    token = mint_token(SANDBOX_US)
    code, out, err = run(capsys, token)
    if content == "{not json":
        assert (code, out) == (2, "")
        [line] = err.splitlines()
        assert line.startswith("error: ") and "cdk.json is not valid JSON" in line
    else:  # JSON, but no stages in it: read as a cdk.json without stages
        assert (code, err) == (1, "")
        assert "environment:  sandbox-us" in out
    code, _, err = run(capsys, "--stage", "sandbox", token)
    assert code == 2 and "error: " in err


HOSTILE_CLAIMS = {
    "sub": "s\nredirected:   yes: forged\nLocation:     https://evil.example/connect/fitbit",
    "team_id": "\x1b[2K\x1b[1A\rredirected:   yes",
    "user_id": "\u202eon :detcerider\x00\x07\\x0a",
}


@pytest.mark.parametrize("aud", [PRODUCTION_US, SANDBOX_US, ["https://evil.example\nredirected:   yes", PRODUCTION_US]])
def test_hostile_claims_cannot_forge_or_hide_the_verdict(capsys, config_file, aud):
    token = mint_token(aud, **HOSTILE_CLAIMS)
    code, out, _ = run(capsys, "--config", str(config_file), f"/oauth_callback/fitbit?state={token}")
    lines = out.splitlines()
    assert all(char == "\n" or char.isprintable() for char in out), repr(out)  # no ESC, CR, NUL, bidi
    [verdict] = [line for line in lines if line.startswith("redirected:")]
    locations = [line for line in lines if line.startswith("Location:")]
    assert verdict.startswith("redirected:   yes") is (code == 0) is (aud == SANDBOX_US)
    assert all(line.startswith(f"Location:     {SANDBOX_US}/connect/fitbit?") for line in locations)
    assert len(locations) == (1 if code == 0 else 0)
    assert "sub:          s\\x0aredirected:   yes: forged\\x0aLocation:" in out
    assert "team_id:      \\x1b[2K\\x1b[1A\\x0dredirected:" in out
    assert "user_id:      \\u202eon :detcerider\\x00\\x07\\\\x0a" in out  # a literal backslash is escaped too
    code, out, _ = run(capsys, "--json", "--config", str(config_file), f"/oauth_callback/fitbit?state={token}")
    assert json.loads(out)["claims"]["sub"] == HOSTILE_CLAIMS["sub"]
    assert all(char == "\n" or (char.isprintable() and ord(char) < 0x7F) for char in out)


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A directory outside the project, with neither a config nor a cdk.json around."""
    monkeypatch.delenv("CALLBACK_ROUTER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_cdk_json(directory: Path) -> None:
    stages = {
        "sandbox": {"shape": "http_api", "environments": ["sandbox-us"], "fallback": {"mode": "reject"}},
        "prod-edge": {"shape": "edge", "origin_domain_name": "auth.example.com", "environments": ["production-us"]},
        "only-team-9": {"environments": ["sandbox-us"], "teams": ["9f1d2c3b-9999-4aaa-8bbb-cccccccccccc"]},
        "broken": {"shape": "edge", "environments": ["sandbox-us"]},
    }
    (directory / "cdk.json").write_text(json.dumps({"app": "x", "context": {"stages": stages}}), encoding="utf-8")


@pytest.mark.parametrize(
    "template",
    [
        "{token}",
        "state={token}",
        "?code=1&state={token}",
        "code=1&scope=a%20b&state={token}",
        "https://auth.example.com/oauth_callback/fitbit?code=1&state={token}",
        "curl -sS -H 'Accept: text/html' 'https://auth.example.com/oauth_callback/fitbit?code=1&state={token}'",
        'curl "https://auth.example.com/oauth_callback/fitbit?code=1&state={token}" -o /dev/null',
    ],
)
def test_without_config_explain_still_reads_the_token_from_what_the_user_pasted(capsys, no_config, template):
    token = mint_token(SANDBOX_US)
    code, out, err = run(capsys, template.format(token=token))
    assert (code, err) == (0, "")
    assert "state:        Junction Link Token" in out
    assert "environment:  sandbox-us" in out
    assert "team_id:      team-1" in out
    assert "config:       none given" in out
    assert "stages:       no cdk.json here or in a parent directory" in out
    assert "redirected:" not in out  # no deployment to decide for


def test_an_unquoted_curl_line_is_read_too(capsys, no_config):
    token = mint_token(SANDBOX_US)
    code, out, _ = run(capsys, "curl", f"https://auth.example.com/oauth_callback/fitbit?state={token}")
    assert code == 0 and "environment:  sandbox-us" in out


def test_without_config_explain_lists_the_stages_of_cdk_json_that_redirect(capsys, no_config):
    write_cdk_json(no_config)
    (no_config / "deep" / "er").mkdir(parents=True)
    os.chdir(no_config / "deep" / "er")  # found from a parent directory
    code, out, _ = run(capsys, f"?code=1&state={mint_token(SANDBOX_US)}")
    assert code == 0
    assert f"stage sandbox: redirected: 307 to {SANDBOX_US}/connect/fitbit?..." in out
    assert "stage prod-edge: not redirected: the token's environment is not accepted" in out
    assert "stage only-team-9: not redirected: the token is for a Junction team not in this config's teams" in out
    assert "stage broken: invalid: stage 'broken': key 'origin_domain_name'" in out
    code, out, _ = run(capsys, "--json", f"state={mint_token(PRODUCTION_US)}")
    found = json.loads(out)
    assert code == 0 and found["environment"] == "production-us"
    assert found["stages"]["prod-edge"].startswith("redirected") and "redirects" not in found


def test_stage_option_reads_one_stage_of_cdk_json_deployment_keys_and_all(capsys, no_config):
    write_cdk_json(no_config)
    code, out, _ = run(capsys, "--stage", "prod-edge", f"/oauth_callback/oura?state={mint_token(PRODUCTION_US)}")
    assert code == 0
    assert "accepts:      production-us" in out
    assert f"Location:     {PRODUCTION_US}/connect/oura?state=" in out
    code, out, _ = run(capsys, "--stage", "only-team-9", f"state={mint_token(SANDBOX_US)}")
    assert code == 1
    assert "team:         NOT accepted (teams: 9f1d2c3b-9999-4aaa-8bbb-cccccccccccc)" in out
    assert "decision:     ForeignTeam (team_not_accepted)" in out
    code, _, err = run(capsys, "--stage", "nope", "x")
    assert code == 2 and "has no stage 'nope'; stages: broken, only-team-9, prod-edge, sandbox" in err
    code, _, err = run(capsys, "--stage", "broken", "x")
    assert code == 2 and "origin_domain_name" in err


@pytest.mark.parametrize("team", [123, ["0c8b9e3a"], {"id": "x"}, None])
def test_a_team_id_that_is_not_a_string_is_never_shown_as_accepted(team: object) -> None:
    # The router refuses such a token (RouterConfig.team_allowed); explain must say the same, not crash.
    from callback_router.core.config import parse_config
    from callback_router.explain import explain, render

    config = parse_config({"environments": ["sandbox-us"], "teams": ["0c8b9e3a-1111-4222-8333-444455556666"]})
    token = mint_token(team_id=team)
    text = render(explain(token, config))
    assert "team:         NOT accepted" in text
    assert re.search(r"redirected:\s+no", text)
