"""The alarm tables in README.md and docs/DEPLOY.md say exactly what the templates create (the
CloudFront Function's own table included), every alarm has its on-call entry, the README's edge
comparison names both constructs, and its tables of base URLs and config keys are the code's."""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from pathlib import Path

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from callback_router.core.config import CONFIG_KEYS, ConfigError, parse_config
from callback_router.core.environments import JUNCTION_ENVIRONMENTS, KNOWN_JUNCTION_BASE_URLS
from junction_callback_router import CallbackRouter, CloudFrontFunctionCallbackRouter, EdgeCallbackRouter, Fallback
from junction_callback_router.alarms import alarm_descriptions
from junction_callback_router.cloudfront_function import MAX_CODE_BYTES

ROOT = Path(__file__).resolve().parents[2]


def table_rows(path: Path, header: str) -> dict[str, str]:
    """``metric -> condition cell`` of the Markdown table whose header row starts with ``header``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(index for index, line in enumerate(lines) if line.strip().startswith(header))
    rows: dict[str, str] = {}
    for line in lines[start + 2 :]:
        if not line.strip().startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0].strip("`")] = (
            cells[1] if header.startswith(("| alarm", "| CloudFront Function alarm")) else cells[2]
        )
    return rows


def alarmed(template: Template) -> set[str]:
    return {alarm["Properties"]["MetricName"] for alarm in template.find_resources("AWS::CloudWatch::Alarm").values()}


def regional(fallback: Fallback, teams: list[str] | None) -> set[str]:
    app = App()
    stack = Stack(app, "Docs", env=Environment(account="123456789012", region="eu-west-1"))
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=fallback, teams=teams, alarms=True)
    return alarmed(Template.from_stack(stack))


def edge() -> set[str]:
    app = App()
    stack = Stack(app, "DocsEdge", env=Environment(account="123456789012", region="us-east-1"))
    EdgeCallbackRouter(stack, "Edge", environments=["sandbox-us"], alarms=True)
    return alarmed(Template.from_stack(stack))


def cloudfront_function(teams: list[str] | None) -> set[str]:
    app = App()
    stack = Stack(app, "DocsFunction", env=Environment(account="123456789012", region="us-east-1"))
    CloudFrontFunctionCallbackRouter(stack, "EdgeFn", environments=["sandbox-us"], teams=teams, alarms=True)
    return alarmed(Template.from_stack(stack))


@pytest.fixture(scope="module")
def templates() -> dict[str, set[str]]:
    return {
        "proxy+teams": regional(
            Fallback.proxy("https://auth.company.com/cb"), ["0c8b9e3a-1111-4222-8333-444455556666"]
        ),
        "reject": regional(Fallback.reject(), None),
        "edge": edge(),
        "cloudfront_function+teams": cloudfront_function(["0c8b9e3a-1111-4222-8333-444455556666"]),
        "cloudfront_function": cloudfront_function(None),
    }


def test_readme_metrics_table_marks_exactly_the_alarmed_metrics(templates: dict[str, set[str]]) -> None:
    rows = table_rows(ROOT / "README.md", "| metric | meaning | alarm |")
    marked = {name for name, cell in rows.items() if cell.startswith("yes")}
    always = {name for name, cell in rows.items() if cell == "yes"}
    assert templates["proxy+teams"] - {"Errors"} == marked
    assert templates["reject"] - {"Errors"} == always
    assert templates["edge"] - {"Errors"} == always


def test_deploy_md_alarm_table_lists_every_alarm_with_when_it_exists(templates: dict[str, set[str]]) -> None:
    rows = table_rows(ROOT / "docs" / "DEPLOY.md", "| alarm | when it exists |")
    assert set(rows) == templates["proxy+teams"]
    assert {name for name, when in rows.items() if when == "always"} == templates["reject"] == templates["edge"]
    for name, when in rows.items():
        assert when in ("always", "proxy fallback", "`teams` set"), (name, when)


def test_deploy_md_cloudfront_function_alarm_table_lists_every_alarm(templates: dict[str, set[str]]) -> None:
    rows = table_rows(ROOT / "docs" / "DEPLOY.md", "| CloudFront Function alarm | when it exists |")
    assert set(rows) == templates["cloudfront_function+teams"]
    assert {name for name, when in rows.items() if when == "always"} == templates["cloudfront_function"]
    for name, when in rows.items():
        assert when in ("always", "`teams` set"), (name, when)


def test_readme_compares_the_two_edge_options_with_the_real_limit() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Which edge option", 1)[1].split("\n## ", 1)[0]
    header = next(line for line in section.splitlines() if line.startswith("| |"))
    assert "`CloudFrontFunctionCallbackRouter`" in header and "`EdgeCallbackRouter`" in header
    for row in ("latency", "price per million callbacks", "logs and metrics", "coexistence", "limits"):
        assert f"\n| {row} |" in section, row
    assert f"{MAX_CODE_BYTES // 1024} KB of code" in section
    assert "$0.10" in section and "$0.60" in section and "$0.00005001" in section


def on_call_entries() -> dict[str, str]:
    """``alarm -> its text`` of docs/DEPLOY.md's on-call section (one ``### `Name``` per alarm)."""
    deploy = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    section = deploy.split("\n## On call: when an alarm fires\n", 1)[1].split("\n## ", 1)[0]
    entries = re.split(r"^### `([A-Za-z]+)`$", section, flags=re.MULTILINE)[1:]
    return {name: text.strip() for name, text in zip(entries[::2], entries[1::2], strict=True)}


def test_every_alarm_has_an_on_call_entry(templates: dict[str, set[str]]) -> None:
    entries = on_call_entries()
    every_alarm = templates["proxy+teams"] | templates["edge"] | templates["cloudfront_function+teams"]
    assert set(entries) == every_alarm | set(alarm_descriptions(proxy=True, teams=True))
    for name, text in entries.items():
        assert len(text.split()) >= 25, f"{name}: say what it means, what to look at and what to do"


def markdown_table(text: str, header: str) -> list[list[str]]:
    """The cells of the Markdown table whose header row is ``header``, one list per row."""
    lines = text.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_readme_lists_every_base_url_of_every_environment() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = markdown_table(readme, "| environment | tryvital.io base URL | junction.com base URL |")
    listed = {name.strip("`"): (tryvital.strip("`"), junction.strip("`")) for name, tryvital, junction in rows}
    assert len(listed) == len(rows)
    assert listed == {
        name: (
            next(url for url in urls if ".tryvital.io/" in url),
            next(url for url in urls if ".junction.com/" in url),
        )
        for name, urls in JUNCTION_ENVIRONMENTS.items()
    }
    assert {url for pair in listed.values() for url in pair} == set(KNOWN_JUNCTION_BASE_URLS)


CONSTRUCTS = (CallbackRouter, EdgeCallbackRouter, CloudFrontFunctionCallbackRouter)


def keyword_props(construct: type) -> dict[str, inspect.Parameter]:
    return {
        name: parameter
        for name, parameter in inspect.signature(vars(construct)["__init__"]).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


def documented_default(cell: str) -> object:
    """A default cell's value: JSON (or a bare word) in backticks; anything else is "not set"."""
    if not cell.startswith("`"):
        return None
    text = cell.strip("`")
    try:
        return json.loads(text)
    except ValueError:
        return text


def test_readme_config_table_matches_the_parser_and_the_construct_signatures() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = markdown_table(readme, "| key | default in a stage | construct prop | meaning |")
    documented: dict[str, tuple[str, str]] = {}
    for key_cell, default_cell, prop_cell, _ in rows:
        keys = [key.strip("` ") for key in key_cell.split(",")]
        defaults = [part.strip() for part in default_cell.split(",")] if len(keys) > 1 else [default_cell]
        for key, default in zip(keys, defaults, strict=True):
            documented[key] = (default, prop_cell)
    assert set(documented) == CONFIG_KEYS
    base = {"environments": ["sandbox-us"]}
    for key, (default, prop_cell) in documented.items():
        # The stage default: what the parser does without the key.
        if default == "(required)":
            with pytest.raises(ConfigError):
                parse_config({name: value for name, value in base.items() if name != key})
        elif (value := documented_default(default)) is not None:
            assert parse_config({**base, key: value}) == parse_config(base), key
        else:
            assert getattr(parse_config(base), key) is None, key
        # The construct prop: same name, "required" exactly when the regional construct has no default.
        assert f"`{key}=`" in prop_cell, key
        regional = keyword_props(CallbackRouter)[key]
        assert ("**required**" in prop_cell) == (regional.default is inspect.Parameter.empty), key
        for edge_construct in CONSTRUCTS[1:]:
            on_edge = keyword_props(edge_construct).get(key)
            if "none on the edge constructs" in prop_cell:
                assert on_edge is None, (edge_construct.__name__, key)
            else:
                assert on_edge is not None and on_edge.default == regional.default, (edge_construct.__name__, key)


def test_readme_mentions_every_prop_of_every_construct() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for construct in CONSTRUCTS:
        for name in keyword_props(construct):
            assert f"`{name}" in readme, (construct.__name__, name)


def behaviour_loop(example: str) -> str:
    """The ``for pattern in ...path_patterns: distribution.add_behavior(...)`` loop of an example, dedented."""
    source = (ROOT / "examples" / example).read_text(encoding="utf-8")
    match = re.search(r"^( *)for pattern in \w+\.path_patterns:.*?\n\1    \)\n", source, flags=re.MULTILINE | re.DOTALL)
    assert match is not None, example
    return textwrap.dedent(match.group(0))


@pytest.mark.parametrize("example", ["cloudfront_edge.py", "cloudfront_function.py"])
def test_readme_shows_the_full_add_behavior_call_of_the_synthesized_example(example: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### CloudFront: the callback behaviours", 1)[1].split("\n### ", 1)[0]
    loop = behaviour_loop(example)
    assert "cache_policy=" in loop and "origin_request_policy=" in loop
    assert loop in section, f"README differs from examples/{example}:\n{loop}"
    assert f"(examples/{example})" in section
