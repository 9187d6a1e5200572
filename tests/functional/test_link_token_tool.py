"""The README's one-command test token: run as written, it gives a token the router redirects."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from callback_router.core.environments import JUNCTION_ENVIRONMENTS
from tools.explain import main as explain

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_command() -> str:
    """The command line of the README's test-token block."""
    match = re.search(r"^PYTHONPATH=lambda:\. \.venv/bin/python -m tools\.link_token .*$", README, re.MULTILINE)
    assert match is not None, "the README shows the command"
    return match.group(0)


def run(*extra: str) -> subprocess.CompletedProcess[str]:
    """The README's command as a shell runs it, with this interpreter for ``.venv/bin/python``."""
    command = readme_command().replace(".venv/bin/python", sys.executable) + "".join(f" {arg}" for arg in extra)
    return subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def claims(token: str) -> dict[str, object]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_the_readme_command_prints_a_token_the_router_redirects(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    result = run()
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert claims(token)["aud"] == "https://api.sandbox.tryvital.io/v2/link"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"environments": ["sandbox-us"]}), encoding="utf-8")
    assert explain(["--config", str(config), f"state={token}"]) == 0  # "redirected: yes"
    assert "sandbox-us" in capsys.readouterr().out


def test_junction_com_and_team_options(tmp_path: Path) -> None:
    team = "0c8b9e3a-1111-4222-8333-444455556666"
    result = run("--junction-com", "--team-id", team)
    assert result.returncode == 0, result.stderr
    token_claims = claims(result.stdout.strip())
    assert token_claims["aud"] == "https://api.sandbox.us.junction.com/v2/link"
    assert token_claims["aud"] in JUNCTION_ENVIRONMENTS["sandbox-us"]
    assert token_claims["team_id"] == team


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--aud", "https://x.example/v2/link", "--junction-com"], "not with --aud"),
        (["--aud", "https://x.example/v2/link"], "give an environment or --aud"),  # the README gives sandbox-us too
    ],
)
def test_usage_errors_say_what_to_do(args: list[str], words: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert words in result.stderr and result.stdout == ""
