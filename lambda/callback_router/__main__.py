"""Command line: ``python -m callback_router explain <state | callback URL>``.

Configuration: ``--config FILE``, else ``$CALLBACK_ROUTER_CONFIG``, else the bundled
``callback_router/config.json`` (the same order the handlers use, minus the file option).
``make explain STATE=... STAGE=...`` feeds a stage's generated runtime config.

Exit status: 0 when the callback would be redirected to Junction, 1 when it would not,
2 on a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_REDIRECT, EXIT_NOT_REDIRECTED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m callback_router", description="Junction callback router tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    explain = commands.add_parser(
        "explain",
        help="say what the router would do with a state or a callback URL",
        description="Say whether a state is a Junction Link Token, its environment and unverified claims, "
        "whether this config accepts it, and the exact Location it would produce.",
    )
    explain.add_argument("input", help="a state value, or a full callback URL (or path) with its query")
    explain.add_argument("--config", type=Path, help="router config JSON file (default: $CALLBACK_ROUTER_CONFIG)")
    explain.add_argument("--provider", help="provider slug to assume for a bare state (default: fitbit)")
    explain.add_argument("--json", action="store_true", help="print the findings as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 on --help
        return int(exit_.code or 0)

    from callback_router.core.config import ConfigError, parse_config
    from callback_router.explain import explain, render
    from callback_router.settings import load_config

    try:
        if args.config is not None:
            try:
                data = json.loads(args.config.read_text(encoding="utf-8"))
            except OSError as error:
                raise ConfigError("(document)", f"{args.config} unreadable: {error.strerror}") from None
            except ValueError as error:
                raise ConfigError("(document)", f"{args.config} is not valid JSON ({error})") from None
            config = parse_config(data)
        else:
            config = load_config()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not args.input.strip():
        print("error: give a state value or a callback URL", file=sys.stderr)
        return EXIT_USAGE
    found = explain(args.input, config, provider=args.provider)
    if args.json:
        print(
            json.dumps(
                {
                    "is_link_token": found.is_link_token,
                    "environment": found.environment,
                    "aud": list(found.audiences),
                    "claims": found.claims,
                    "provider": found.provider,
                    "accepted_environments": list(found.accepted_environments),
                    "redirects": found.redirects,
                    "decision": found.decision.outcome.value,
                    "reason": found.decision.reason,
                    "location": found.decision.location,
                },
                indent=2,
            )
        )
    else:
        print(render(found))
    return EXIT_REDIRECT if found.redirects else EXIT_NOT_REDIRECTED


if __name__ == "__main__":
    sys.exit(main())
