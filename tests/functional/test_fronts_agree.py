"""One path rule, one decision: the same request gets the same answer on every front.

Each request (path, raw query, method) is built as every event source would hand it to Lambda
(HTTP API, Function URL, REST, ALB single and multi-value, CloudFront viewer request) and run
through the real handler. All six must log the same decision, and a redirect must carry the
same ``Location``; an ``InvalidProvider`` is a 400 everywhere. Routes are matched literally
(``core.routes.match_routes``) on every front: no regex, no trailing-slash leniency.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.functional.conftest import Configure, Output, Router
from tests.functional.sources import (
    ALB_MULTI,
    ALB_SINGLE,
    ALL_SOURCES,
    CLOUDFRONT,
    FUNCTION_URL,
    HTTP_API,
    REST_API,
    Result,
    Source,
    alb_single_value_query,
)
from tests.support.tokens import SANDBOX_US, mint_token

CONFIG = {
    "environments": ["sandbox-us"],
    "routes": [
        {"path": "/oauth_callback/{provider}"},
        {"path": "/auth/strava.v2/callback", "provider": "strava"},
        {"path": "/v1/{provider}/cb"},
    ],
    "fallback": {"mode": "reject"},
}
TOKEN = mint_token()
QUERY = f"code=abc123&state={TOKEN}"


def decisions(
    router: Router, output: Callable[[], Output], path: str, query: str, method: str
) -> dict[str, tuple[str, str, str | None]]:
    """Per source: (decision logged, status or 'passed on', Location)."""
    seen: dict[str, tuple[str, str, str | None]] = {}
    for source in ALL_SOURCES:
        result = source.send(router, path, query, method)
        [line] = output().routed
        seen[source.name] = (line["decision"], _answer(source, result), result.location)
    return seen


def _answer(source: Source, result: Result) -> str:
    if result.passed_on:
        return "passed on"
    if source is not CLOUDFRONT and result.status == 404:  # the reject fallback of the API fronts
        return "passed on"
    return str(result.status)


def assert_agree(seen: dict[str, tuple[str, str, str | None]]) -> None:
    assert len(set(seen.values())) == 1, seen


# What the fronts must agree *on*, written independently of core (whose bug would otherwise pass
# as long as every front shared it): CONFIG's routes as patterns, the documented slug rule.
ROUTE_PATTERNS = (re.compile(r"/oauth_callback/([^/]+)"), re.compile(r"/v1/([^/]+)/cb"))
SLUG = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")


def expected_provider(path: str) -> str | None:
    if path == "/auth/strava.v2/callback":
        return "strava"
    for pattern in ROUTE_PATTERNS:
        matched = pattern.fullmatch(path)
        if matched:
            return matched.group(1)
    return None


def expected_answer(path: str, junction: bool, query: str = QUERY, method: str = "GET") -> tuple[str, str, str | None]:
    """(decision, answer, Location) for a request on CONFIG; ``junction``: the query carries one
    Link Token of the accepted environment (and no other state)."""
    provider = expected_provider(path)
    if provider is None:
        return ("NotACallback", "passed on", None)
    if method not in ("GET", "HEAD") or not junction:
        return ("NotJunction", "passed on", None)
    if not SLUG.fullmatch(provider):
        return ("InvalidProvider", "400", None)
    return ("JunctionRedirect", "307", f"{SANDBOX_US}/connect/{provider}?{query}")


@pytest.fixture
def agreed(
    configure: Configure, output: Callable[[], Output]
) -> Callable[[str, str, str], dict[str, tuple[str, str, str | None]]]:
    router = configure(CONFIG)

    def run(path: str, query: str = QUERY, method: str = "GET") -> dict[str, tuple[str, str, str | None]]:
        seen = decisions(router, output, path, query, method)
        assert_agree(seen)
        return seen

    return run


@pytest.mark.parametrize(
    ("path", "decision"),
    [
        ("/oauth_callback/fitbit", "JunctionRedirect"),
        ("/oauth_callback/fitbit/", "NotACallback"),  # REST used to redirect this
        ("//oauth_callback/fitbit", "NotACallback"),  # and this
        ("/oauth_callback//fitbit", "NotACallback"),
        ("/oauth_callback/fitbit\n", "InvalidProvider"),  # API fronts used to 307 (regex $), the edge 400
        ("/oauth_callback/fitbit%0A", "InvalidProvider"),
        ("/OAUTH_CALLBACK/fitbit", "NotACallback"),
        ("/auth/strava.v2/callback", "JunctionRedirect"),
        ("/auth/stravaXv2/callback", "NotACallback"),  # '.' is a dot, not "any character"
        ("/auth/strava.v2/callback/", "NotACallback"),
        ("/v1/oura/cb", "JunctionRedirect"),
        ("/v1/oura/cb\n", "NotACallback"),
    ],
)
def test_every_front_takes_the_same_decision_on_a_tricky_path(agreed, path: str, decision: str) -> None:
    seen = agreed(path)
    assert {value[0] for value in seen.values()} == {decision}


def test_the_redirect_is_the_same_everywhere(agreed) -> None:
    seen = agreed("/auth/strava.v2/callback")
    assert seen[REST_API.name] == ("JunctionRedirect", "307", f"{SANDBOX_US}/connect/strava?{QUERY}")


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "OPTIONS"])
def test_every_front_takes_the_same_decision_for_each_method(agreed, method: str) -> None:
    seen = agreed("/oauth_callback/fitbit", method=method)
    assert set(seen.values()) == {expected_answer("/oauth_callback/fitbit", True, method=method)}


PATH_TEXT = st.text(
    alphabet=st.sampled_from(list("/afitbo_v2.()+*?$[]{}^|\\%0A\n\r\t ~-:;@!'é\u202e\x00")), max_size=30
)
HOSTILE_PATHS = st.one_of(
    PATH_TEXT.map(lambda tail: "/" + tail),
    PATH_TEXT.map(lambda tail: "/oauth_callback/" + tail),
    st.tuples(PATH_TEXT, PATH_TEXT).map(lambda parts: f"/{parts[0]}/oauth_callback/fitbit{parts[1]}"),
    st.sampled_from(["/auth/strava", "/auth/strava.v2", "/v1/", "/oauth_callback"]).flatmap(
        lambda head: PATH_TEXT.map(lambda tail: head + tail)
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=HOSTILE_PATHS)
@example(path="/oauth_callback/fitbit/")
@example(path="//oauth_callback/fitbit")
@example(path="/oauth_callback/fitbit\n")
def test_every_front_agrees_on_hostile_paths(agreed, path: str) -> None:
    assert set(agreed(path).values()) == {expected_answer(path, True)}


FOREIGN_QUERY = f"state={mint_token('https://api.tryvital.io/v2/link')}&code=1"
JUNCTION_QUERIES = (QUERY, f"code=1&state={mint_token(SANDBOX_US, team_id=None)}&scope=a%20b")
QUERIES = st.sampled_from(
    [
        *JUNCTION_QUERIES,
        FOREIGN_QUERY,  # foreign environment
        "code=1&state=company-state-42",
        "state=success",
        "oauth_token=t&oauth_verifier=v",  # Garmin OAuth 1.0a: no state
        "",
    ]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=HOSTILE_PATHS, query=QUERIES, method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "OPTIONS"]))
def test_every_front_agrees_on_path_query_and_method_together(agreed, path: str, query: str, method: str) -> None:
    expected = expected_answer(path, query in JUNCTION_QUERIES, query, method)
    if query == FOREIGN_QUERY and expected[0] == "NotJunction" and method in ("GET", "HEAD"):
        expected = ("ForeignEnvironment", "passed on", None)
    assert set(agreed(path, query, method).values()) == {expected}


@pytest.mark.parametrize(
    ("path", "template", "decision"),
    [
        ("/auth/oauth_callback/fitbit", "/oauth_callback/{provider}", "JunctionRedirect"),  # base path mapping
        ("/a/b/oauth_callback/fitbit", "/oauth_callback/{provider}", "JunctionRedirect"),
        ("/auth/oauth_callback/fitbit", "/auth/oauth_callback/fitbit", "NotACallback"),  # API Gateway matched no route
        ("/auth/oauth_callback/fitbit", "/{proxy+}", "NotACallback"),
        ("/auth/oauth_callback/fitbit/", "/oauth_callback/{provider}", "NotACallback"),
        ("//oauth_callback/fitbit", "/oauth_callback/{provider}", "NotACallback"),  # empty segments are not a mount
        ("/auth/v1/oura/cb", "/v1/{provider}/cb", "JunctionRedirect"),
        ("/auth/v1/oura/cb", "/oauth_callback/{provider}", "NotACallback"),  # only the route API Gateway matched
    ],
)
def test_a_mount_prefix_is_dropped_only_when_api_gateway_matched_that_very_route(
    configure, output, path: str, template: str, decision: str
) -> None:
    router = configure(CONFIG)
    rest = REST_API.event(path, QUERY)
    rest["resource"] = template
    http = HTTP_API.event(path, QUERY)
    http["routeKey"] = http["requestContext"]["routeKey"] = f"ANY {template}"
    for source, event in ((REST_API, rest), (HTTP_API, http)):
        source.call(router, event)
        [line] = output().routed
        assert line["decision"] == decision, source.name


# ---------------------------------------------------------------- one reading of the query

FRONT_KEEPING_THE_RAW_QUERY = (HTTP_API, FUNCTION_URL, CLOUDFRONT)
OTHER_TOKEN = mint_token(sub="another-session")


def query_outcomes(router: Router, output: Callable[[], Output], query: str) -> dict[str, tuple[str, str, str]]:
    """Per front, for ``GET /oauth_callback/fitbit?{query}``: (decision, reason, answer); the
    ``Location`` of each redirect is checked on the way.

    Every front must decide the same, down to the reason, except ALB without multi-value headers,
    which never sees more than the last value of a repeated key: it must decide what the others
    decide for the query it is handed. A redirect carries the same ``Location`` on every front
    that keeps the raw query; ALB and REST rebuild the query, which must read back as the same
    parameters (order aside).
    """
    seen: dict[str, tuple[str, str, str]] = {}
    locations: dict[str, str] = {}
    for source in ALL_SOURCES:
        result = source.send(router, "/oauth_callback/fitbit", query)
        [line] = output().routed
        seen[source.name] = (line["decision"], line["reason"], _answer(source, result))
        locations[source.name] = result.location or ""
    single = seen.pop(ALB_SINGLE.name)
    HTTP_API.send(router, "/oauth_callback/fitbit", alb_single_value_query(query))
    [line] = output().routed
    assert single[:2] == (line["decision"], line["reason"]), (query, single, line)
    assert len(set(seen.values())) == 1, (query, seen)
    if next(iter(seen.values()))[0] == "JunctionRedirect":
        raw = {locations[source.name] for source in FRONT_KEEPING_THE_RAW_QUERY}
        assert len(raw) == 1, raw
        [location] = raw
        expected = sorted(parse_qsl(urlsplit(location).query, keep_blank_values=True))
        for source in (ALB_MULTI, REST_API):
            rebuilt = urlsplit(locations[source.name]).query
            assert sorted(parse_qsl(rebuilt, keep_blank_values=True)) == expected, (source.name, rebuilt)
    return seen


@pytest.mark.parametrize(
    ("query", "decision", "reason"),
    [
        # A key spelt with escapes is the same key: never two states forwarded, never one missed.
        (f"state={TOKEN}&st%61te=x", "NotJunction", "repeated_state"),  # used to 307 on all but REST
        (f"code=1&%73tate={TOKEN}", "JunctionRedirect", "accepted_audience"),  # used to 307 on REST only
        (f"st%61te={TOKEN}&code=1", "JunctionRedirect", "accepted_audience"),
        (f"st%2561te={TOKEN}", "NotJunction", "no_state"),  # decoded once: the key is st%61te
        (f"STATE={TOKEN}", "NotJunction", "no_state"),  # a different key
        (f"state+={TOKEN}", "NotJunction", "no_state"),  # "state "
        # A bare key is a key with an empty value.
        (f"state={TOKEN}&state", "NotJunction", "repeated_state"),  # used to 307 on all but REST
        ("state&code=x", "NotJunction", "state_not_a_jwt"),  # used to read as no state, but on REST
        (f"flag&code=1&state={TOKEN}", "JunctionRedirect", "accepted_audience"),
        # Empty values, '+' and '%20'.
        ("state=&code=1", "NotJunction", "state_not_a_jwt"),
        ("state=&state=", "NotJunction", "repeated_state"),
        (f"state={TOKEN}&state=", "NotJunction", "repeated_state"),
        (f"code=a+b%20c&state={TOKEN}&scope=x%2By+z", "JunctionRedirect", "accepted_audience"),
        (f"state=+{TOKEN}", "NotJunction", "state_not_a_jwt"),  # " eyJ...": not the token
        (f"state=%20{TOKEN}%20", "NotJunction", "state_not_a_jwt"),
        (f"state={TOKEN.replace('.', '%2E')}&code=1", "JunctionRedirect", "accepted_audience"),  # escaped dots
        (f"state={TOKEN}&&&code=1&", "JunctionRedirect", "accepted_audience"),
    ],
    ids=["st%61te-twice", "%73tate", "st%61te", "double-escaped", "STATE", "state+", "bare-after", "bare-alone",
         "bare-flag", "empty", "empty-twice", "token-then-empty", "plus-and-%20", "plus-before", "%20-around",
         "escaped-dots", "empty-parts"],
)  # fmt: skip
def test_every_front_reads_state_from_the_query_the_same_way(
    configure, output, query: str, decision: str, reason: str
) -> None:
    router = configure(CONFIG)
    seen = query_outcomes(router, output, query)
    assert {value[:2] for value in seen.values()} == {(decision, reason)}


QUERY_PIECES = st.sampled_from(
    ["state", "st%61te", "%73tate", "STATE", "=", "=", "&", "&", "+", " ", "%", "%2", "%20", "%2B", "%26", "%3D",
     "%zz", "%C3%A9", "%FF", "é", "\x00", "#", "code", "x", TOKEN, OTHER_TOKEN, "eyJ", "."]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.lists(QUERY_PIECES, max_size=12).map("".join))
@example(query=f"state={TOKEN}&st%61te=x")
@example(query=f"state={TOKEN}&state")
@example(query=f"st%61te={TOKEN}")
@example(query="state&code=x")
@example(query=f"state={TOKEN}state")  # a longer signature that still decodes: still a Link Token
@example(query=f"state={TOKEN}xstate")  # one that no longer decodes
def test_every_front_agrees_on_hostile_queries(configure, output, query: str) -> None:
    seen = query_outcomes(configure(CONFIG), output, query)
    # The expected reading, from the standard library's form parser (WHATWG-compatible here).
    states = [value for key, value in parse_qsl(query, keep_blank_values=True) if key == "state"]
    if not states:
        expected = ("NotJunction", "no_state", "passed on")
    elif len(states) > 1:
        expected = ("NotJunction", "repeated_state", "passed on")
    elif is_jwt(states[0]):
        # Pieces only follow a token, so they can only lengthen its (never checked) signature: a
        # value that still decodes carries that token's claims, with an accepted audience.
        expected = ("JunctionRedirect", "accepted_audience", "307")
    else:
        expected = ("NotJunction", "state_not_a_jwt", "passed on")
    assert set(seen.values()) == {expected}, query


def is_jwt(value: str) -> bool:
    """PyJWT's reading, the oracle: a JWT whatever its signature (the router never checks one)."""
    try:
        jwt.decode(value, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return False
    return True


@pytest.mark.parametrize("source", [REST_API, ALB_SINGLE, ALB_MULTI], ids=lambda source: source.name)
def test_a_null_query_value_in_a_hand_made_event_reads_as_a_bare_key(configure, output, source: Source) -> None:
    # AWS does not document how a key sent without '=' appears in these maps; if it is ever null,
    # it is the same bare key: a second (empty) state is still a second state.
    router = configure(CONFIG)
    event = source.event("/oauth_callback/fitbit", f"code=1&state={TOKEN}")
    if source is ALB_SINGLE:
        event["queryStringParameters"]["flag"] = None
        assert source.call(router, event).location == f"{SANDBOX_US}/connect/fitbit?code=1&state={TOKEN}&flag"
        event["queryStringParameters"] = {"state": None}
        reason = "state_not_a_jwt"
    else:
        event["multiValueQueryStringParameters"]["state"].append(None)
        reason = "repeated_state"
    assert _answer(source, source.call(router, event)) == "passed on"
    assert [(line["decision"], line["reason"]) for line in output().routed][-1] == ("NotJunction", reason)
