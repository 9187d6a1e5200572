"""The routing decision: given a callback's plain facts, where does it go?"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from callback_router.core.config import RouterConfig
from callback_router.core.link_token import Claims, audiences
from callback_router.core.uri import with_query

ClaimsReader = Callable[[str, int], "Claims | None"]
"""``(state, max_length) -> claims or None``: one of the readers in ``link_token``."""

REDIRECT_METHODS = frozenset({"GET", "HEAD"})


class Outcome(StrEnum):
    """What happens to a request. The value is the metric name and the log's ``decision``."""

    JUNCTION_REDIRECT = "JunctionRedirect"
    """A Junction Link Token for an accepted environment: 307 to Junction."""
    FOREIGN_ENVIRONMENT = "ForeignEnvironment"
    """A Junction token for an environment this deployment does not accept: not redirected.
    Usually a ``redirect_url_override`` that points sandbox traffic at production or the reverse."""
    FOREIGN_TEAM = "ForeignTeam"
    """A Link Token for an accepted environment but a Junction team not in ``teams``: not
    redirected, passed on like the company's own callback (see docs/SECURITY.md). Someone
    else's Junction team using the company's OAuth client, or a ``teams`` list that is wrong."""
    INVALID_PROVIDER = "InvalidProvider"
    """A Junction token on a path whose provider is not a valid (or allowed) slug: 400."""
    NOT_JUNCTION = "NotJunction"
    """The company's own callback (or anything else on a callback path): passed on untouched."""
    NOT_A_CALLBACK = "NotACallback"
    """The path matches no configured route: passed on untouched."""


@dataclass(frozen=True)
class Decision:
    """The core's answer. ``location`` is set only for :attr:`Outcome.JUNCTION_REDIRECT`."""

    outcome: Outcome
    reason: str
    provider: str | None = None
    environment: str | None = None
    location: str | None = None
    team: str | None = None
    """The token's ``team_id`` claim when it is a string (unverified; for logs and ``explain``)."""


def decide(
    config: RouterConfig,
    *,
    method: str,
    provider: str | None,
    state_values: Sequence[str],
    raw_query: str,
    read_claims: ClaimsReader,
) -> Decision:
    """Decide where one callback request goes.

    Args:
        config: the validated router configuration.
        method: the HTTP method as received.
        provider: the provider text from the matched route, ``None`` if no route matched.
        state_values: every ``state`` value of ``raw_query``, decoded, in order (usually one):
            :func:`callback_router.core.uri.query_values`, the one reading on every front.
        raw_query: the query string to forward, as received (or re-encoded once where the
            event source has no raw form), without the leading ``?``.
        read_claims: how to read a token's unverified claims.
    """
    if provider is None:
        return Decision(Outcome.NOT_A_CALLBACK, "no_route")
    if method.upper() not in REDIRECT_METHODS:
        return Decision(Outcome.NOT_JUNCTION, "method_not_redirected", provider)
    if not state_values:
        return Decision(Outcome.NOT_JUNCTION, "no_state", provider)
    if len(state_values) > 1:
        # Two states cannot both be the signed one; let the company's logic refuse it.
        return Decision(Outcome.NOT_JUNCTION, "repeated_state", provider)
    state = state_values[0]
    if len(state) > config.max_state_length:
        return Decision(Outcome.NOT_JUNCTION, "state_too_long", provider)
    claims = read_claims(state, config.max_state_length)
    if claims is None:
        return Decision(Outcome.NOT_JUNCTION, "state_not_a_jwt", provider)
    token_audiences = audiences(claims)
    for audience in token_audiences:
        environment = config.accepted_base_urls.get(audience)
        if environment is None:
            continue
        team = claims.get("team_id")
        if not config.team_allowed(team):
            # Checked before the provider: a token of another team is not ours at all, so it is
            # passed on like any other callback rather than answered 400.
            shown = team if isinstance(team, str) else None
            return Decision(Outcome.FOREIGN_TEAM, "team_not_accepted", provider, environment, team=shown)
        if not config.provider_allowed(provider):
            return Decision(Outcome.INVALID_PROVIDER, "provider_not_allowed", None, environment)
        # `audience` is one of our own configured strings (dict key equality), never token text
        # we have not vetted, so the redirect target comes only from the allowlist.
        location = with_query(f"{audience}/connect/{provider}", raw_query)
        return Decision(Outcome.JUNCTION_REDIRECT, "accepted_audience", provider, environment, location)
    for audience in token_audiences:
        foreign = config.foreign_base_urls.get(audience)
        if foreign is not None:
            return Decision(Outcome.FOREIGN_ENVIRONMENT, "environment_not_accepted", provider, foreign)
    return Decision(Outcome.NOT_JUNCTION, "audience_not_junction", provider)
