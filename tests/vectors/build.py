"""Writes ``callback_decisions.json``: the request -> answer vectors both routers must give.

Run ``PYTHONPATH=lambda:infra:. .venv/bin/python -m tests.vectors.build`` after editing a case;
``tests/infra/test_cloudfront_function.py`` checks the file is what this writes. Every
expectation here is written by hand from the rules (README, "What is redirected"), never
computed by either implementation.

A case: ``config`` (a name in ``CONFIGS``), ``method``, ``uri``, ``rawQueryString`` (``None``:
no ``?``), and ``expect``: ``decision``, ``reason``, ``status`` (307, 400, or ``None`` when the
request is passed on) and ``location`` byte for byte.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from tests.support.tokens import PRODUCTION_US, SANDBOX_EU, SANDBOX_US, SANDBOX_US_JUNCTION, mint_token

VECTORS = Path(__file__).with_name("callback_decisions.json")
PRODUCTION_EU = "https://api.eu.tryvital.io/v2/link"
TEAM = "0c8b9e3a-6f1d-4c1e-9a57-2f4b8e1d7c90"

CONFIGS: dict[str, dict[str, Any]] = {
    "sandbox": {
        "environments": ["sandbox-us"],
        "routes": [
            {"path": "/oauth_callback/{provider}"},
            {"path": "/auth/strava.v2/callback", "provider": "strava"},
            {"path": "/v1/{provider}/cb"},
        ],
    },
    "strict": {
        "environments": ["production-us", "production-eu"],
        "providers": ["fitbit", "oura"],
        "teams": [TEAM],
        "max_state_length": 512,
    },
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def raw_token(header: bytes, payload: bytes, signature: bytes = b"sig") -> str:
    return ".".join((b64url(header), b64url(payload), b64url(signature)))


HEADER = b'{"alg":"HS256","typ":"JWT"}'
TOKEN = mint_token()
PROD_TOKEN = mint_token(PRODUCTION_US, team_id=TEAM)


def redirect(base: str, provider: str, query: str) -> dict[str, Any]:
    return {
        "decision": "JunctionRedirect",
        "reason": "accepted_audience",
        "status": 307,
        "location": f"{base}/connect/{provider}?{query}",
    }


def passed(decision: str, reason: str) -> dict[str, Any]:
    return {"decision": decision, "reason": reason, "status": None, "location": None}


INVALID = {"decision": "InvalidProvider", "reason": "provider_not_allowed", "status": 400, "location": None}
NOT_JWT = passed("NotJunction", "state_not_a_jwt")
FITBIT = "/oauth_callback/fitbit"


def case(name: str, query: str | None, expect: dict[str, Any], **request: Any) -> dict[str, Any]:
    spec = {"config": "sandbox", "method": "GET", "uri": FITBIT, **request}
    return {"name": name, **spec, "rawQueryString": query, "expect": expect}


def cases() -> list[dict[str, Any]]:
    q = f"code=abc123&state={TOKEN}&scope=activity%20sleep"
    tail_bits = TOKEN.split(".")
    bad_bits = f"{tail_bits[0][:-1]}{'K' if tail_bits[0][-1] != 'K' else 'L'}.{tail_bits[1]}.{tail_bits[2]}"
    payload = json.dumps({"aud": SANDBOX_US, "team_id": "team-1"}).encode()
    return [
        # routes and methods
        case("redirect", q, redirect(SANDBOX_US, "fitbit", q)),
        case("HEAD is redirected", q, redirect(SANDBOX_US, "fitbit", q), method="HEAD"),
        case("method spelt in lower case", q, redirect(SANDBOX_US, "fitbit", q), method="get"),
        case("POST is not", q, passed("NotJunction", "method_not_redirected"), method="POST"),
        case("OPTIONS is not", q, passed("NotJunction", "method_not_redirected"), method="OPTIONS"),
        case("fixed route", q, redirect(SANDBOX_US, "strava", q), uri="/auth/strava.v2/callback"),
        case("dot is literal", q, passed("NotACallback", "no_route"), uri="/auth/stravaXv2/callback"),
        case("provider in the middle", q, redirect(SANDBOX_US, "oura", q), uri="/v1/oura/cb"),
        case("trailing slash", q, passed("NotACallback", "no_route"), uri=FITBIT + "/"),
        case("double slash", q, passed("NotACallback", "no_route"), uri="/" + FITBIT),
        case("empty provider", q, passed("NotACallback", "no_route"), uri="/oauth_callback/"),
        case("two segments", q, passed("NotACallback", "no_route"), uri="/oauth_callback/fitbit/x"),
        case("upper-case route", q, passed("NotACallback", "no_route"), uri="/OAUTH_CALLBACK/fitbit"),
        case("other path", q, passed("NotACallback", "no_route"), uri="/"),
        case("provider not a slug", q, INVALID, uri="/oauth_callback/Fitbit"),
        case("provider with newline", q, INVALID, uri="/oauth_callback/fitbit\n"),
        case("provider percent-encoded", q, INVALID, uri="/oauth_callback/fitbit%0A"),
        case("provider too long", q, INVALID, uri="/oauth_callback/" + "a" * 65),
        case("provider of 64", q, redirect(SANDBOX_US, "a" * 64, q), uri="/oauth_callback/" + "a" * 64),
        # reading state
        case("no query", None, passed("NotJunction", "no_state")),
        case("empty query", "", passed("NotJunction", "no_state")),
        case("garmin oauth 1.0a", "oauth_token=t&oauth_verifier=v", passed("NotJunction", "no_state")),
        case("company state", "code=1&state=company-state-42", NOT_JWT),
        case("junction success", "state=success", NOT_JWT),
        case("junction error", "state=error&error_type=x", NOT_JWT),
        case("bare state key", "state&code=1", NOT_JWT),
        case("repeated state", f"state={TOKEN}&state={TOKEN}", passed("NotJunction", "repeated_state")),
        case("repeated via escape", f"state={TOKEN}&st%61te=x", passed("NotJunction", "repeated_state")),
        case("repeated empty", f"state={TOKEN}&state", passed("NotJunction", "repeated_state")),
        case("escaped key", f"%73tate={TOKEN}", redirect(SANDBOX_US, "fitbit", f"%73tate={TOKEN}")),
        case("plus in key", f"state+={TOKEN}", passed("NotJunction", "no_state")),
        case("escaped value", f"state=%65{TOKEN[1:]}", redirect(SANDBOX_US, "fitbit", f"state=%65{TOKEN[1:]}")),
        case("empty parts", f"&&state={TOKEN}&", redirect(SANDBOX_US, "fitbit", f"&&state={TOKEN}&")),
        case(
            "denied, state echoed",
            f"error=access_denied&state={TOKEN}",
            redirect(SANDBOX_US, "fitbit", f"error=access_denied&state={TOKEN}"),
        ),
        # the token
        case("foreign environment", f"state={PROD_TOKEN}", passed("ForeignEnvironment", "environment_not_accepted")),
        case(
            "junction.com alias",
            f"state={mint_token(SANDBOX_US_JUNCTION)}",
            redirect(SANDBOX_US_JUNCTION, "fitbit", f"state={mint_token(SANDBOX_US_JUNCTION)}"),
        ),
        case(
            "aud list, accepted second",
            f"state={mint_token([PRODUCTION_US, SANDBOX_US])}",
            redirect(SANDBOX_US, "fitbit", f"state={mint_token([PRODUCTION_US, SANDBOX_US])}"),
        ),
        case(
            "aud list of foreign",
            f"state={mint_token([5, SANDBOX_EU])}",
            passed("ForeignEnvironment", "environment_not_accepted"),
        ),
        case("aud a number", f"state={mint_token(7)}", passed("NotJunction", "audience_not_junction")),
        case("aud missing", "state=" + raw_token(HEADER, b"{}"), passed("NotJunction", "audience_not_junction")),
        case(
            "aud someone else's",
            f"state={mint_token('https://evil.example/v2/link')}",
            passed("NotJunction", "audience_not_junction"),
        ),
        case(
            "aud with a trailing slash",
            f"state={mint_token(SANDBOX_US + '/')}",
            passed("NotJunction", "audience_not_junction"),
        ),
        case(
            "aud prototype name", f"state={mint_token('constructor')}", passed("NotJunction", "audience_not_junction")
        ),
        case("padding bits set", f"state={bad_bits}", NOT_JWT),
        case("segment of 4n+1", f"state={tail_bits[0]}A.{tail_bits[1]}.{tail_bits[2]}", NOT_JWT),
        case("four segments", f"state={TOKEN}.x", NOT_JWT),
        case("base64 padding", f"state={TOKEN}%3D", NOT_JWT),
        case("standard base64 alphabet", f"state={TOKEN[:-2]}+/", NOT_JWT),
        case("header kid a number", "state=" + raw_token(b'{"kid":1}', payload), NOT_JWT),
        case("header crit empty", "state=" + raw_token(b'{"crit":[]}', payload), NOT_JWT),
        case("header crit b64 missing", "state=" + raw_token(b'{"crit":["b64"]}', payload), NOT_JWT),
        case("header b64 false", "state=" + raw_token(b'{"b64":false,"crit":["b64"]}', payload), NOT_JWT),
        case(
            "header crit b64 present",
            "state=" + raw_token(b'{"b64":true,"crit":["b64"]}', payload),
            redirect(SANDBOX_US, "fitbit", "state=" + raw_token(b'{"b64":true,"crit":["b64"]}', payload)),
        ),
        case("header an array", f"state=eyJ{b64url(b'[1]')}.e30.c2ln", NOT_JWT),
        case("payload an array", "state=" + raw_token(HEADER, b"[1]"), NOT_JWT),
        case("payload not json", "state=" + raw_token(HEADER, b"not json"), NOT_JWT),
        case("payload invalid utf-8", "state=" + raw_token(HEADER, payload[:-1] + b"\xff}"), NOT_JWT),
        case(
            "payload with a BOM",
            "state=" + raw_token(HEADER, b"\xef\xbb\xbf" + payload),
            redirect(SANDBOX_US, "fitbit", "state=" + raw_token(HEADER, b"\xef\xbb\xbf" + payload)),
        ),
        case(
            "payload with NaN",
            "state=" + raw_token(HEADER, payload[:-1] + b',"n":NaN}'),
            redirect(SANDBOX_US, "fitbit", "state=" + raw_token(HEADER, payload[:-1] + b',"n":NaN}')),
        ),
        case(
            "payload with -Infinity",
            "state=" + raw_token(HEADER, payload[:-1] + b',"n":-Infinity}'),
            redirect(SANDBOX_US, "fitbit", "state=" + raw_token(HEADER, payload[:-1] + b',"n":-Infinity}')),
        ),
        case(
            "payload NaN as a string",
            "state=" + raw_token(HEADER, b'{"aud":"NaN"}'),
            passed("NotJunction", "audience_not_junction"),
        ),
        case("payload with 1NaN", "state=" + raw_token(HEADER, payload[:-1] + b',"n":1NaN}'), NOT_JWT),
        case(
            "payload encoded surrogate",
            "state=" + raw_token(HEADER, payload[:-1] + b',"n":"\xed\xa0\x80"}'),
            redirect(SANDBOX_US, "fitbit", "state=" + raw_token(HEADER, payload[:-1] + b',"n":"\xed\xa0\x80"}')),
        ),
        case("payload overlong utf-8", "state=" + raw_token(HEADER, payload[:-1] + b',"n":"\xc0\xaf"}'), NOT_JWT),
        case(
            "payload duplicate aud, last wins",
            "state=" + raw_token(HEADER, b'{"aud":"' + SANDBOX_US.encode() + b'","aud":"x"}'),
            passed("NotJunction", "audience_not_junction"),
        ),
        case("state too long", f"state={TOKEN}{'a' * (4097 - len(TOKEN))}", passed("NotJunction", "state_too_long")),
        # the Location: the query as received, only what may not stand in a URI escaped
        case(
            "kept byte for byte",
            f"state={TOKEN}&x=%zz+%2B'()*!;,:@/?[]$",
            redirect(SANDBOX_US, "fitbit", f"state={TOKEN}&x=%zz+%2B'()*!;,:@/?[]$"),
        ),
        case(
            "escaped where it must be",
            f'state={TOKEN}&x=a b"<>\\^`{{|}}#é\U0001f600',
            redirect(SANDBOX_US, "fitbit", f"state={TOKEN}&x=a%20b%22%3C%3E%5C%5E%60%7B%7C%7D%23%C3%A9%F0%9F%98%80"),
        ),
        case(
            "control characters escaped",
            f"state={TOKEN}&x=\r\nSet-Cookie:%20a",
            redirect(SANDBOX_US, "fitbit", f"state={TOKEN}&x=%0D%0ASet-Cookie:%20a"),
        ),
        # teams, provider allowlist, state length (strict)
        case(
            "team accepted",
            f"state={PROD_TOKEN}",
            redirect(PRODUCTION_US, "fitbit", f"state={PROD_TOKEN}"),
            config="strict",
        ),
        case(
            "eu token",
            f"state={mint_token(PRODUCTION_EU, team_id=TEAM)}",
            redirect(PRODUCTION_EU, "oura", f"state={mint_token(PRODUCTION_EU, team_id=TEAM)}"),
            config="strict",
            uri="/oauth_callback/oura",
        ),
        case(
            "other team",
            f"state={mint_token(PRODUCTION_US)}",
            {**passed("ForeignTeam", "team_not_accepted")},
            config="strict",
        ),
        case(
            "no team",
            f"state={mint_token(PRODUCTION_US, team_id=None)}",
            passed("ForeignTeam", "team_not_accepted"),
            config="strict",
        ),
        case(
            "team before provider",
            f"state={mint_token(PRODUCTION_US)}",
            passed("ForeignTeam", "team_not_accepted"),
            config="strict",
            uri="/oauth_callback/strava",
        ),
        case("provider not allowed", f"state={PROD_TOKEN}", INVALID, config="strict", uri="/oauth_callback/strava"),
        case(
            "sandbox token here",
            f"state={TOKEN}",
            passed("ForeignEnvironment", "environment_not_accepted"),
            config="strict",
        ),
        case(
            "state of 513",
            f"state={PROD_TOKEN}{'a' * (513 - len(PROD_TOKEN))}",
            passed("NotJunction", "state_too_long"),
            config="strict",
        ),
        case("state of 512, not a jwt", f"state={PROD_TOKEN}{'a' * (512 - len(PROD_TOKEN))}", NOT_JWT, config="strict"),
        case("length in code points", f"state={'%F0%9F%98%80' * 300}", NOT_JWT, config="strict"),
    ]


def document() -> dict[str, Any]:
    """The vector file's content."""
    return {"configs": CONFIGS, "cases": cases()}


def render() -> str:
    return json.dumps(document(), indent=1, ensure_ascii=True) + "\n"


if __name__ == "__main__":
    VECTORS.write_text(render(), encoding="utf-8")
