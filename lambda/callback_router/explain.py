"""``explain``: what the router would do with a ``state`` or a whole callback URL, and why.

For support and for setting up Junction's ``redirect_url_override``: it says whether the state
is a Junction Link Token, which Junction environment its ``aud`` names (any documented one,
accepted or not), the unverified ``sub``, ``team_id`` and ``user_id`` (never the whole token),
whether this configuration accepts it (the decision and its reason) and the exact ``Location``
the 307 would carry. It runs :func:`callback_router.core.decision.decide`, the function the
handlers run, so the answer cannot drift from the deployed behaviour.

Everything taken from the input (claims, ``aud``, path, provider) is printed escaped by
:func:`shown`: the claims are unverified, so a newline in ``sub`` must not forge a
``redirected: yes`` line and a terminal escape must not hide the verdict.

Not imported by any handler: it stays out of the cold-start path. Its command lines are outside
the function package, so no command-line module ships in a Lambda asset: ``python -m
tools.explain`` in the checkout (``cdk.json`` stages) and ``junction-callback-router explain``
installed with the package (a synthesized stack, a deployed function); the parts they share
(pasted ``curl`` lines, the report without a config, the JSON report) are here.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from callback_router.core.config import STATE_LENGTH_BOUNDS, RouterConfig, parse_config
from callback_router.core.decision import Decision, Outcome, decide
from callback_router.core.environments import JUNCTION_ENVIRONMENTS, KNOWN_JUNCTION_BASE_URLS
from callback_router.core.link_token import Claims, audiences, could_be_jwt, read_claims_lean
from callback_router.core.routes import match_routes
from callback_router.core.uri import query_values

SHOWN_CLAIMS = ("sub", "team_id", "user_id")
"""The claims worth showing; the rest of the token (and its signature) is never printed."""
DEFAULT_PROVIDER = "fitbit"


@dataclass(frozen=True)
class Explanation:
    """Everything ``explain`` found out about one input."""

    kind: str
    """``url`` (a callback URL or path with its query) or ``state`` (a bare state value)."""
    path: str | None
    provider: str | None
    provider_source: str
    raw_query: str
    is_link_token: bool
    token_note: str
    audiences: tuple[str, ...]
    environment: str | None
    accepted_environments: tuple[str, ...]
    claims: dict[str, str]
    decision: Decision
    teams: frozenset[str] | None = None
    """The config's ``teams`` allowlist (``None``: any team is accepted)."""
    team_accepted: bool | None = None
    """Whether the token's ``team_id`` passes ``teams``, by the router's own rule (``None``: no list)."""

    @property
    def redirects(self) -> bool:
        """Whether the router would answer 307 to Junction."""
        return self.decision.outcome is Outcome.JUNCTION_REDIRECT


def shown(value: Any) -> str:
    """``value`` as one line of plain printable text: every control, format (bidi) or other
    non-printable character, and the backslash itself, written as a Python-style escape."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def normalise_input(text: str) -> tuple[str, str]:
    """A callback as ``(kind, text)``: ``url`` (a URL, or a path, with its query), ``query``
    (``state=...``, ``?code=1&state=...``) or ``state`` (a bare state value).

    A whole ``curl`` command line is taken apart first, by :func:`pasted_callback`.
    """
    text = text.strip()
    if text.startswith(("http://", "https://", "/")):
        return "url", text
    if text.startswith("?") or (("=" in text or "&" in text) and query_values(text, "state")):
        return "query", text.removeprefix("?")
    return "state", text


def _split_url(url: str) -> tuple[str, str]:
    """Raw path and raw query of a URL or path; nothing is decoded, the fragment is dropped."""
    parts = urlsplit(url)  # a fragment (Fitbit's #_=_) never reaches the server anyway
    return parts.path or "/", parts.query


def _token_facts(state: str | None, config: RouterConfig) -> tuple[bool, str, Claims | None]:
    if state is None:
        return False, "no state parameter", None
    if len(state) > config.max_state_length:
        return False, f"state is {len(state)} characters, over max_state_length {config.max_state_length}", None
    if not could_be_jwt(state, config.max_state_length):
        return False, "not a compact JWT (three base64url segments starting with eyJ)", None
    claims = read_claims_lean(state, config.max_state_length)
    if claims is None:
        return False, "looks like a JWT but does not decode (PyJWT refused it)", None
    return True, "a JWT (signature not verified, as Junction's guide says)", claims


def _environment_of(aud: tuple[str, ...], config: RouterConfig) -> str | None:
    for url in aud:
        if url in config.accepted_base_urls:
            return config.accepted_base_urls[url]
    for url in aud:
        if url in KNOWN_JUNCTION_BASE_URLS:
            return KNOWN_JUNCTION_BASE_URLS[url]
    return None


def explain(text: str, config: RouterConfig, provider: str | None = None) -> Explanation:
    """Explain one input: a callback URL (or path) with its query, or a bare ``state`` value.

    Also a query string (``state=...``, ``?code=1&state=...``), see :func:`normalise_input`.
    For a bare state or a query, the callback is taken to be
    ``GET <route>?<query>`` for ``provider`` (default: fitbit, or the first allowed provider).
    """
    kind, text = normalise_input(text)
    if kind == "url":
        path, raw_query = _split_url(text)
        route_provider = match_routes(config.routes, path)
        source = "from the path, via the configured routes" if route_provider else "no route matches"
        provider = route_provider
    else:
        path = None
        raw_query = text if kind == "query" else "state=" + quote(text, safe="-._~!$'()*+,;=:@/?")
        if provider is None:
            allowed = sorted(config.providers) if config.providers else [DEFAULT_PROVIDER]
            provider = DEFAULT_PROVIDER if DEFAULT_PROVIDER in allowed else allowed[0]
            source = "assumed; pass --provider or a full callback URL"
        else:
            source = "given with --provider"
    states = query_values(raw_query, "state")
    is_token, note, claims = _token_facts(states[0] if len(states) == 1 else None, config)
    if len(states) > 1:
        note = f"{len(states)} state parameters: never redirected"
    aud = audiences(claims) if claims else ()
    decision = decide(
        config,
        method="GET",
        provider=provider,
        state_values=states,
        raw_query=raw_query,
        read_claims=read_claims_lean,
    )
    claim_texts = {name: str(claims[name]) for name in SHOWN_CLAIMS if claims and name in claims}
    return Explanation(
        kind=kind,
        path=path,
        provider=provider,
        provider_source=source,
        raw_query=raw_query,
        is_link_token=is_token and _environment_of(aud, config) is not None,
        token_note=note,
        audiences=aud,
        environment=_environment_of(aud, config),
        accepted_environments=tuple(sorted(set(config.accepted_base_urls.values()))),
        claims=claim_texts,
        decision=decision,
        teams=config.teams,
        # The raw claim, not its shown text: a team_id of 123 is not the string "123".
        team_accepted=None if config.teams is None else config.team_allowed((claims or {}).get("team_id")),
    )


_WHY = {
    "no_route": "the path matches no configured route, so it is not a callback",
    "method_not_redirected": "only GET and HEAD are redirected",
    "no_state": "there is no state parameter (e.g. Garmin's OAuth 1.0a callback): the company's own flow",
    "repeated_state": "state appears more than once",
    "state_too_long": "state is longer than max_state_length",
    "state_not_a_jwt": "state is not a JWT: the company's own flow",
    "environment_not_accepted": "the token's environment is not accepted by this config "
    "(check redirect_url_override: sandbox traffic must not reach production or the reverse)",
    "audience_not_junction": "the token's aud is not a Junction Link API base URL this config knows",
    "provider_not_allowed": "the provider is not a valid slug or not in the providers allowlist: answered 400",
    "accepted_audience": "the token's aud is an accepted base URL",
    "team_not_accepted": "the token is for a Junction team not in this config's teams list: passed on",
}


def verdict(explanation: Explanation) -> str:
    """One line: ``redirected: 307 to <target>?...`` (the query left out) or ``not redirected: <why>``."""
    decision = explanation.decision
    if explanation.redirects:
        return f"redirected: 307 to {(decision.location or '').partition('?')[0]}?..."
    return f"not redirected: {_WHY.get(decision.reason, decision.reason)}"


_INPUT = {"url": "callback URL, path ", "query": "a query string", "state": "a bare state value"}


def render(explanation: Explanation) -> str:
    """Human-readable report, one fact per line."""
    e = explanation
    decision = e.decision
    lines = [f"input:        {_INPUT[e.kind] + shown(e.path) if e.kind == 'url' else _INPUT[e.kind]}"]
    lines.append(f"provider:     {shown(e.provider) if e.provider else '(none)'} ({e.provider_source})")
    if e.is_link_token:
        lines.append(f"state:        Junction Link Token: {e.token_note}")
    elif e.audiences:
        lines.append(f"state:        a JWT, but not a Junction Link Token: {e.token_note}")
    else:
        lines.append(f"state:        not a Junction Link Token: {e.token_note}")
    if e.audiences:
        documented = e.environment or "unknown (not a documented Junction environment)"
        lines.append(f"environment:  {documented}")
        lines.append(f"aud:          {', '.join(map(shown, e.audiences))}")
    for name in SHOWN_CLAIMS:
        if e.audiences or e.claims:
            lines.append(f"{name + ':':<13} {shown(e.claims[name]) if name in e.claims else '(absent)'}")
    if e.teams is not None and (e.audiences or e.claims):
        accepted = "accepted" if e.team_accepted else "NOT accepted"
        lines.append(f"team:         {accepted} (teams: {', '.join(sorted(e.teams))})")
    lines.append(f"accepts:      {', '.join(e.accepted_environments)}")
    verdict = "yes" if e.redirects else "no"
    lines.append(f"redirected:   {verdict}: {_WHY.get(decision.reason, decision.reason)}")
    lines.append(f"decision:     {decision.outcome.value} ({decision.reason})")
    if decision.location:
        lines.append(f"Location:     {decision.location}")
    return "\n".join(lines)


_URL_IN_TEXT = re.compile(r"https?://[^\s'\"]+")
_TOKEN_LINES = ("input:", "provider:", "state:", "environment:", "aud:", "sub:", "team_id:", "user_id:")


def pasted_callback(text: str) -> str:
    """The callback in what was pasted: the URL of a whole ``curl`` command line, else ``text`` as is."""
    text = text.strip()
    if not (text.startswith("curl ") or text.startswith("curl\t")):
        return text
    try:
        words = shlex.split(text)
    except ValueError:  # unbalanced quotes: take the first URL-looking run instead
        words = _URL_IN_TEXT.findall(text)
    urls = [word for word in words if word.startswith(("http://", "https://"))]
    if urls:
        return urls[0]
    found = _URL_IN_TEXT.search(text)
    return found.group(0) if found else text


def any_environment() -> RouterConfig:
    """Every documented environment accepted: to read a token when there is no config."""
    return parse_config(
        {
            "environments": list(JUNCTION_ENVIRONMENTS),
            "allow_mixed_environments": True,
            "max_state_length": STATE_LENGTH_BOUNDS[1],
        }
    )


def token_facts(explanation: Explanation) -> str:
    """The report's lines about the token only: without a config there is no deployment to decide for."""
    return "\n".join(line for line in render(explanation).splitlines() if line.startswith(_TOKEN_LINES))


def report_json(
    found: Explanation,
    config_given: bool,
    stages: Mapping[str, str] | None = None,
    about: Mapping[str, str] | None = None,
) -> str:
    """The findings as JSON (``stages``: a verdict per ``cdk.json`` stage; ``about``: where the config came from)."""
    document: dict[str, Any] = {
        "is_link_token": found.is_link_token,
        "environment": found.environment,
        "aud": list(found.audiences),
        "claims": found.claims,
        "provider": found.provider,
    }
    if about:
        document["config_source"] = dict(about)
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
