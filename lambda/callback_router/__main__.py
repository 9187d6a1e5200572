"""Command line: ``python -m callback_router explain <state | query | callback URL | curl line>``.

Configuration: ``--config FILE``, else ``--stage NAME`` (that stage of ``cdk.json``, found in the
current directory or its parents), else ``$CALLBACK_ROUTER_CONFIG``, else the bundled
``callback_router/config.json``. With none of them it still says whether the state is a
Junction Link Token and for which environment, and lists which stages of ``cdk.json`` (if one
is found) would redirect it. ``make explain STATE=... STAGE=...`` feeds a stage's config.

Exit status: 0 when the callback would be redirected to Junction (without a config: when the
state is a Junction Link Token that some stage of ``cdk.json`` redirects, or, with no
``cdk.json``, any Link Token of a documented environment), 1 when not, 2 on a usage or
configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callback_router.core.config import RouterConfig
    from callback_router.explain import Explanation

EXIT_REDIRECT, EXIT_NOT_REDIRECTED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m callback_router", description="Junction callback router tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    explain = commands.add_parser(
        "explain",
        help="say what the router would do with a state, a query string, a callback URL or a curl command",
        description="Say whether a state is a Junction Link Token, its environment and unverified claims, "
        "whether this config accepts it, and the exact Location it would produce.",
    )
    explain.add_argument(
        "input",
        nargs="+",
        help="a state value, a query string (state=... or ?code=...&state=...), a full callback URL (or path) "
        "with its query, or a whole curl command line (quote it)",
    )
    source = explain.add_mutually_exclusive_group()
    source.add_argument("--config", type=Path, help="router config JSON file (default: $CALLBACK_ROUTER_CONFIG)")
    source.add_argument("--stage", help="read the config of this stage from cdk.json (here or in a parent directory)")
    explain.add_argument("--provider", help="provider slug to assume for a bare state or query (default: fitbit)")
    explain.add_argument("--json", action="store_true", help="print the findings as JSON")
    return parser


def find_cdk_json(start: Path | None = None) -> Path | None:
    """``cdk.json`` in ``start`` (default: the current directory) or the nearest parent."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "cdk.json"
        if candidate.is_file():
            return candidate
    return None


def stage_configs(cdk_json: Path) -> dict[str, RouterConfig | str]:
    """Every stage of ``cdk.json``: its router config, or what is wrong with it.

    Read through ``callback_router_app.stages`` (the synth-time validation) when that is
    importable; else each stage's runtime keys go straight to ``parse_config``.
    """
    from callback_router.core.config import CONFIG_KEYS, ConfigError, parse_config

    context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    stages = context.get("stages")
    if not isinstance(stages, dict):
        return {}
    found: dict[str, RouterConfig | str] = {}
    try:
        from callback_router_app.stages import StageError, parse_stage
    except ImportError:
        for name, data in stages.items():
            try:
                runtime = {key: value for key, value in data.items() if key in CONFIG_KEYS}
                found[name] = parse_config(runtime)
            except (ConfigError, AttributeError) as error:
                found[name] = f"invalid: {error}"
        return found
    for name, data in stages.items():
        try:
            found[name] = parse_stage(name, data).router
        except StageError as error:
            found[name] = f"invalid: {error}"
    return found


def _config(args: argparse.Namespace) -> tuple[RouterConfig | None, Path | None]:
    """The config to explain against (``None``: none given or found) and the cdk.json used."""
    from callback_router.core.config import ConfigError, parse_config
    from callback_router.settings import BUNDLED_CONFIG, CONFIG_ENV_VAR, load_config

    if args.config is not None:
        try:
            data = json.loads(args.config.read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigError("(document)", f"{args.config} unreadable: {error.strerror}") from None
        except ValueError as error:
            raise ConfigError("(document)", f"{args.config} is not valid JSON ({error})") from None
        return parse_config(data), None
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
    import os

    if os.environ.get(CONFIG_ENV_VAR) is None and not BUNDLED_CONFIG.is_file():
        return None, cdk_json
    return load_config(), cdk_json


def _any_environment() -> RouterConfig:
    """Every documented environment accepted: to read a token when there is no config."""
    from callback_router.core.config import STATE_LENGTH_BOUNDS, parse_config
    from callback_router.core.environments import JUNCTION_ENVIRONMENTS

    return parse_config(
        {
            "environments": list(JUNCTION_ENVIRONMENTS),
            "allow_mixed_environments": True,
            "max_state_length": STATE_LENGTH_BOUNDS[1],
        }
    )


def _stage_lines(text: str, provider: str | None, stages: Mapping[str, RouterConfig | str]) -> dict[str, str]:
    from callback_router.explain import _WHY, explain

    verdicts: dict[str, str] = {}
    for name, config in sorted(stages.items()):
        if isinstance(config, str):
            verdicts[name] = config
            continue
        found = explain(text, config, provider=provider)
        reason = _WHY.get(found.decision.reason, found.decision.reason)
        target = (found.decision.location or "").partition("?")[0]
        verdicts[name] = f"redirected: 307 to {target}?..." if found.redirects else f"not redirected: {reason}"
    return verdicts


def _report_json(found: Explanation, config_given: bool, stages: Mapping[str, str] | None) -> str:
    document: dict[str, Any] = {
        "is_link_token": found.is_link_token,
        "environment": found.environment,
        "aud": list(found.audiences),
        "claims": found.claims,
        "provider": found.provider,
    }
    if config_given:
        document.update(
            {
                "accepted_environments": list(found.accepted_environments),
                "team_accepted": found.team_accepted,
                "redirects": found.redirects,
                "decision": found.decision.outcome.value,
                "reason": found.decision.reason,
                "location": found.decision.location,
            }
        )
    if stages is not None:
        document["stages"] = dict(stages)
    return json.dumps(document, indent=2)  # ensure_ascii: every control character comes out escaped


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 on --help
        return int(exit_.code or 0)

    from callback_router.core.config import ConfigError
    from callback_router.explain import explain, render, shown

    text = " ".join(args.input)
    if not text.strip():
        print("error: give a state value, a query string or a callback URL", file=sys.stderr)
        return EXIT_USAGE
    try:
        config, cdk_json = _config(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    stages = None
    if config is None and cdk_json is not None:
        stages = _stage_lines(text, args.provider, stage_configs(cdk_json))
    found = explain(text, config or _any_environment(), provider=args.provider)
    if args.json:
        print(_report_json(found, config is not None, stages))
    elif config is not None:
        print(render(found))
    else:
        lines = render(found).splitlines()
        # Without a config there is no deployment to decide for: keep the token facts only.
        keep = ("input:", "provider:", "state:", "environment:", "aud:", "sub:", "team_id:", "user_id:")
        print("\n".join(line for line in lines if line.startswith(keep)))
        print("config:       none given (--config FILE, --stage NAME or $CALLBACK_ROUTER_CONFIG)")
        if stages is None:
            print("stages:       no cdk.json here or in a parent directory")
        for name, verdict in (stages or {}).items():
            print(f"stage {shown(name)}: {verdict}")
    if config is not None:
        return EXIT_REDIRECT if found.redirects else EXIT_NOT_REDIRECTED
    if stages is not None:
        return EXIT_REDIRECT if any(verdict.startswith("redirected") for verdict in stages.values()) else 1
    return EXIT_REDIRECT if found.is_link_token else EXIT_NOT_REDIRECTED


if __name__ == "__main__":
    sys.exit(main())
