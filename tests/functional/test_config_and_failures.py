"""Where the config comes from, what a broken config does, and failing open when deciding fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callback_router import settings
from tests.functional.conftest import SANDBOX_CONFIG, Configure
from tests.functional.sources import ALL_SOURCES, API_SOURCES, CLOUDFRONT, Source
from tests.support.tokens import SANDBOX_US, mint_token

ids = [source.name for source in ALL_SOURCES]
api_ids = [source.name for source in API_SOURCES]
LOCAL_LINK_API = "http://127.0.0.1:9/v2/link"


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bundled ``config.json`` in a temporary directory, used when the env var is unset."""
    path = tmp_path / "config.json"
    monkeypatch.setattr(settings, "BUNDLED_CONFIG", path)
    return path


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_config_from_the_environment_variable(configure: Configure, bundled: Path, source: Source):
    bundled.write_text(json.dumps({"environments": ["production-us"]}), encoding="utf-8")
    router = configure({"environments": ["sandbox-us"], "extra_environments": {"local": LOCAL_LINK_API}})
    query = f"state={mint_token(LOCAL_LINK_API)}"
    assert source.send(router, raw_query=query).location == f"{LOCAL_LINK_API}/connect/fitbit?{query}"


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_config_from_the_bundled_file_when_the_variable_is_unset(configure: Configure, bundled: Path, source: Source):
    bundled.write_text(json.dumps({"environments": ["sandbox-eu"], "extra_environments": {"local": LOCAL_LINK_API}}))
    router = configure(None)
    query = f"state={mint_token(LOCAL_LINK_API)}"
    assert source.send(router, raw_query=query).location == f"{LOCAL_LINK_API}/connect/fitbit?{query}"
    assert source.send(router, raw_query=f"state={mint_token(SANDBOX_US)}").status != 307  # sandbox-us not accepted


BROKEN = [
    pytest.param("{not json", id="not-json"),
    pytest.param('{"environments": ["staging"]}', id="unknown-environment"),
    pytest.param('{"environments": ["sandbox-us"], "fallback": {"mode": "proxy"}}', id="proxy-without-url"),
    pytest.param('{"environments": ["sandbox-us"], "colour": "blue"}', id="unknown-key"),
    pytest.param("[]", id="not-an-object"),
]


@pytest.mark.parametrize("raw", BROKEN)
@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_invalid_config_passes_requests_on_at_the_edge_and_answers_503_elsewhere(
    configure: Configure, output, source: Source, raw: str
):
    router = configure(raw=raw)
    result = source.send(router, raw_query=f"code=abc&state={mint_token()}")
    if source is CLOUDFRONT:
        assert result.passed_on
    else:
        assert result.status == 503
        assert result.location is None
    out = output()
    [error] = [line for line in out.logs if line["level"] == "ERROR"]
    assert error["message"].startswith("config unusable")
    assert "config key" in error["problem"]
    assert out.metric_names() == ["ConfigError"]


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_missing_bundled_config_without_the_variable(configure: Configure, bundled: Path, source: Source):
    router = configure(None)  # bundled path does not exist
    result = source.send(router, raw_query=f"state={mint_token()}")
    assert result.passed_on if source is CLOUDFRONT else result.status == 503


class Boom(RuntimeError):
    pass


def explode(*args, **kwargs):
    raise Boom("decide failed")


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_fail_open_when_deciding_raises(configure: Configure, output, monkeypatch, source: Source):
    router = configure({**SANDBOX_CONFIG, "fallback": {"mode": "redirect", "url": "https://auth.example.com/cb"}})
    monkeypatch.setattr(router.api, "decide", explode)
    monkeypatch.setattr(router.edge, "decide", explode)
    query = f"code=abc&state={mint_token()}"
    result = source.send(router, raw_query=query)
    if source is CLOUDFRONT:
        assert result.passed_on
    else:
        # The company's own flow (here: the redirect fallback), never Junction's redirect.
        assert (result.status, result.location) == (307, f"https://auth.example.com/cb?{query}")
    out = output()
    [error] = [line for line in out.logs if line["level"] == "ERROR"]
    assert error["error_type"] == "Boom"
    assert "decide failed" not in out.text  # messages may quote request data: only the type is logged
    assert out.metric_names() == ["RouterError"]
