"""Command line of ``explain``: what the router would do with a state, a query, a callback URL or a curl line.

    make explain STATE='<state | query | callback URL | curl line>' [STAGE=NAME]
    PYTHONPATH=lambda:infra:. .venv/bin/python -m tools.explain INPUT [--stage NAME | --config FILE] [--json]

The findings come from :mod:`callback_router.explain`, which runs the decision the handlers run;
this module finds the config, takes the callback out of what was pasted and sets the exit status.
It lives with the tools, not in the function package, so no command line ships in a Lambda asset
and the function package imports nothing of ``infra/``. The installed command line
(``junction-callback-router explain``: a synthesized stack or a deployed function) shares its
parts, which are in :mod:`callback_router.explain`.

Configuration: ``--config FILE``, else ``--stage NAME`` (that stage of ``cdk.json``, found in the
current directory or its parents), else ``$CALLBACK_ROUTER_CONFIG``, else the bundled
``callback_router/config.json``. With none of them it still says whether the state is a
Junction Link Token and for which environment, and lists which stages of ``cdk.json`` (if one
is found) would redirect it. ``make explain STATE=... STAGE=...`` feeds a stage's config.

A ``cdk.json`` stage is always read by ``callback_router_app.stages``, the synth-time
validation, so a stage that would not synthesize is reported invalid whatever ``sys.path`` holds
(without ``infra/`` importable that is a usage error, never a different answer). It is imported
only to read stages: with ``--config`` or ``$CALLBACK_ROUTER_CONFIG`` the CDK's jsii runtime
(seconds to start) never starts.

Exit status: 0 when the callback would be redirected to Junction (without a config: when the
state is a Junction Link Token that some stage of ``cdk.json`` redirects, or, with no
``cdk.json``, any Link Token of a documented environment), 1 when not, 2 on a usage or
configuration error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from callback_router.core.config import ConfigError, RouterConfig, parse_config
from callback_router.explain import (
    any_environment,
    explain,
    pasted_callback,
    render,
    report_json,
    shown,
    token_facts,
    verdict,
)
from callback_router.settings import BUNDLED_CONFIG, CONFIG_ENV_VAR, load_config

EXIT_REDIRECT, EXIT_NOT_REDIRECTED, EXIT_USAGE = 0, 1, 2
NEEDS_INFRA = "reading the stages of cdk.json needs infra/ importable: PYTHONPATH=lambda:infra:. (or make explain)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.explain",
        description="Say whether a state is a Junction Link Token, its environment and unverified claims, "
        "whether this config accepts it, and the exact Location it would produce.",
    )
    parser.add_argument(
        "input",
        nargs="+",
        help="a state value, a query string (state=... or ?code=...&state=...), a full callback URL (or path) "
        "with its query, or a whole curl command line (quote it)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--config", type=Path, help="router config JSON file (default: $CALLBACK_ROUTER_CONFIG)")
    source.add_argument("--stage", help="read the config of this stage from cdk.json (here or in a parent directory)")
    parser.add_argument("--provider", help="provider slug to assume for a bare state or query (default: fitbit)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    return parser


def find_cdk_json(start: Path | None = None) -> Path | None:
    """``cdk.json`` in ``start`` (default: the current directory) or the nearest parent."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "cdk.json"
        if candidate.is_file():
            return candidate
    return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError("(document)", f"{path} unreadable: {error.strerror}") from None
    except ValueError as error:
        raise ConfigError("(document)", f"{path} is not valid JSON ({error})") from None


def stage_configs(cdk_json: Path) -> dict[str, RouterConfig | str]:
    """Every stage of ``cdk.json``: its router config, or what is wrong with it.

    Raises:
        ConfigError: ``cdk.json`` unreadable or not JSON, or ``infra/`` not importable.
    """
    document = _read_json(cdk_json)
    context = document.get("context") if isinstance(document, dict) else None
    stages = context.get("stages") if isinstance(context, dict) else None
    if not isinstance(stages, dict):
        return {}
    try:
        from callback_router_app.stages import StageError, parse_stage
    except ImportError:
        raise ConfigError("(document)", NEEDS_INFRA) from None
    found: dict[str, RouterConfig | str] = {}
    for name, data in stages.items():
        try:
            found[name] = parse_stage(name, data).router
        except StageError as error:
            found[name] = f"invalid: {error}"
    return found


def _config(args: argparse.Namespace) -> tuple[RouterConfig | None, Path | None]:
    """The config to explain against (``None``: none given or found) and the cdk.json used."""
    if args.config is not None:
        return parse_config(_read_json(args.config)), None
    cdk_json = find_cdk_json()
    if args.stage is not None:
        if cdk_json is None:
            raise ConfigError("(document)", f"--stage {args.stage}: no cdk.json here or in any parent directory")
        stages = stage_configs(cdk_json)
        if args.stage not in stages:
            known = ", ".join(sorted(stages)) or "(none)"
            raise ConfigError("(document)", f"{cdk_json} has no stage {args.stage!r}; stages: {known}")
        found = stages[args.stage]
        if isinstance(found, str):
            raise ConfigError("(document)", f"stage {args.stage!r} is {found}")
        return found, cdk_json
    if os.environ.get(CONFIG_ENV_VAR) is None and not BUNDLED_CONFIG.is_file():
        return None, cdk_json
    return load_config(), cdk_json


def _stage_lines(text: str, provider: str | None, stages: Mapping[str, RouterConfig | str]) -> dict[str, str]:
    return {
        name: config if isinstance(config, str) else verdict(explain(text, config, provider=provider))
        for name, config in sorted(stages.items())
    }


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 on --help
        return int(exit_.code or 0)

    text = pasted_callback(" ".join(args.input))
    if not text.strip():
        print("error: give a state value, a query string or a callback URL", file=sys.stderr)
        return EXIT_USAGE
    try:
        config, cdk_json = _config(args)
        stages = None
        if config is None and cdk_json is not None:
            stages = _stage_lines(text, args.provider, stage_configs(cdk_json))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    found = explain(text, config or any_environment(), provider=args.provider)
    if args.json:
        print(report_json(found, config is not None, stages))
    elif config is not None:
        print(render(found))
    else:
        print(token_facts(found))
        print("config:       none given (--config FILE, --stage NAME or $CALLBACK_ROUTER_CONFIG)")
        if stages is None:
            print("stages:       no cdk.json here or in a parent directory")
        for name, line in (stages or {}).items():
            print(f"stage {shown(name)}: {shown(line)}")
    if config is not None:
        return EXIT_REDIRECT if found.redirects else EXIT_NOT_REDIRECTED
    if stages is not None:
        redirected = any(line.startswith("redirected") for line in stages.values())
        return EXIT_REDIRECT if redirected else EXIT_NOT_REDIRECTED
    return EXIT_REDIRECT if found.is_link_token else EXIT_NOT_REDIRECTED


if __name__ == "__main__":
    sys.exit(main())
