"""``python -m tools.link_token ENVIRONMENT``: print a Junction-shaped Link Token for testing.

    PYTHONPATH=lambda:. .venv/bin/python -m tools.link_token sandbox-us [--junction-com] [--team-id UUID]
    PYTHONPATH=lambda:. .venv/bin/python -m tools.link_token --aud https://staging.example/v2/link

The token's ``aud`` is the environment's ``tryvital.io`` base URL (``--junction-com``: its
``junction.com`` one), or ``--aud`` for an ``extra_environments`` target; ``sub``, ``team_id`` and
``user_id`` are random UUIDs unless given. It is signed with a demo key, as ``make run``'s banner
token is (:func:`tools.local_gateway.cli.mint_link_token`): the router never verifies signatures,
Junction does, so such a token tests the router and nothing beyond it. Only the token is printed,
so it can be used as ``state=$(...)``.
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

from callback_router.core.environments import JUNCTION_ENVIRONMENTS
from tools.local_gateway.cli import mint_link_token


def parser() -> argparse.ArgumentParser:
    """The command line."""
    command = argparse.ArgumentParser(prog="python -m tools.link_token", description=__doc__.splitlines()[0])
    command.add_argument("environment", nargs="?", choices=sorted(JUNCTION_ENVIRONMENTS), help="Junction environment")
    command.add_argument("--junction-com", action="store_true", help="use the junction.com base URL as aud")
    command.add_argument("--aud", help="any other base URL as aud (an extra_environments target)")
    command.add_argument("--team-id", help="the team_id claim (default: a random UUID)")
    command.add_argument("--user-id", help="the user_id claim (default: a random UUID)")
    command.add_argument("--sub", help="the sub claim, the Link session id (default: a random UUID)")
    return command


def base_url(environment: str, *, junction_com: bool) -> str:
    """The environment's ``junction.com`` or ``tryvital.io`` Link API base URL."""
    family = ".junction.com" if junction_com else ".tryvital.io"
    return next(url for url in JUNCTION_ENVIRONMENTS[environment] if (urlsplit(url).hostname or "").endswith(family))


def main(argv: list[str] | None = None) -> int:
    """Print the token; 2 on a usage error (argparse's own)."""
    command = parser()
    args = command.parse_args(argv)
    if args.aud is not None and args.junction_com:
        command.error("--junction-com picks an environment's base URL: not with --aud")
    if (args.environment is None) == (args.aud is None):
        command.error("give an environment or --aud (one of them)")
    audience = args.aud or base_url(args.environment, junction_com=args.junction_com)
    print(mint_link_token(audience, sub=args.sub, team_id=args.team_id, user_id=args.user_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
