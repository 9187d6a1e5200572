"""Route matching, slugs, and query escaping."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from callback_router.core.routes import Route, is_valid_route_path, is_valid_slug, match_routes
from callback_router.core.uri import encode_query_pairs, escape_path, escape_query, query_values, with_query

ROUTES = (Route("/oauth_callback/{provider}"), Route("/auth/strava/callback", "strava"), Route("/v1/{provider}/cb"))


@pytest.mark.parametrize(
    ("path", "provider"),
    [
        ("/oauth_callback/fitbit", "fitbit"),
        ("/oauth_callback/whoop_v2", "whoop_v2"),
        ("/oauth_callback/Fit%20bit", "Fit%20bit"),  # matched; the slug check refuses it later
        ("/auth/strava/callback", "strava"),
        ("/v1/oura/cb", "oura"),
        ("/oauth_callback/", None),
        ("/oauth_callback/fitbit/", None),
        ("/oauth_callback/a/b", None),
        ("/auth/strava/callback/", None),
        ("/v1//cb", None),
        ("/other", None),
    ],
)
def test_match_routes(path, provider):
    assert match_routes(ROUTES, path) == provider


@pytest.mark.parametrize(
    ("slug", "valid"),
    [("fitbit", True), ("whoop_v2", True), ("0x", True), ("a" * 64, True), ("a" * 65, False), ("_a", False),
     ("Fitbit", False), ("fit-bit", False), ("", False), ("fit bit", False), ("fitbit\n", False)],
)  # fmt: skip
def test_slug(slug, valid):
    assert is_valid_slug(slug) is valid


@pytest.mark.parametrize(
    ("path", "valid"),
    [("/oauth_callback/{provider}", True), ("/a/{provider}/b", True), ("/auth/callback", True), ("/", False),
     ("a/{provider}", False), ("/a/", False), ("/a//b", False), ("/a/{provider}x", False), ("/a b", False)],
)  # fmt: skip
def test_route_path(path, valid):
    assert is_valid_route_path(path) is valid


def test_escape_keeps_uri_characters_and_encodes_the_rest():
    assert escape_query("a=1&b=%2F+c~!$'()*,;:@/?[]") == "a=1&b=%2F+c~!$'()*,;:@/?[]"
    assert escape_query('a=x y"<>\\^`{|}#\x00\x7f\u00e9') == "a=x%20y%22%3C%3E%5C%5E%60%7B%7C%7D%23%00%7F%C3%A9"
    assert with_query("https://h/x", "") == "https://h/x"
    assert with_query("https://h/x", "a=1") == "https://h/x?a=1"


@given(st.text())
def test_escaped_query_is_always_header_safe(text):
    escaped = escape_query(text)
    assert escaped.isascii()
    assert all(0x20 < ord(char) < 0x7F for char in escaped)
    assert "#" not in escaped


def test_rest_api_pairs_are_encoded_once():
    assert (
        encode_query_pairs([("code", "a b+c/d"), ("state", "x.y_z-"), ("e", "")])
        == "code=a%20b%2Bc%2Fd&state=x.y_z-&e="
    )


def test_query_values():
    assert query_values("a=1&state=x%2By&state=z+w&xstate=q", "state") == ["x+y", "z w"]
    assert query_values("state&st%61te=y", "state") == ["", "y"]  # a bare key, an escaped key


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/auth/strava(v2)/callback", "contains '()'"),
        ("/auth/strava+v2/callback", "contains '+'"),
        ("/oauth_callback/*", "use '{provider}', the one placeholder a route takes"),
        ("/oauth_callback/{name}", "use '{provider}', the one placeholder a route takes"),
        ("/oauth_callback/{name}", "e.g. '/oauth_callback/{provider}'"),
        ("/oauth_callback/{proxy+}", "e.g. '/oauth_callback/{provider}'"),
        ("/oauth_callback/${slug}", "e.g. '/oauth_callback/{provider}'"),
        ("/cb/{provider}/{state}", "use '{provider}', the one placeholder a route takes"),
        ("/auth/*/callback", "'/auth/{provider}/callback'"),
        ("/auth/cb?x", "contains '?'"),
        ("/auth/$cb", "contains '$'"),
        ("/auth/[cb]", "contains '[]'"),
        ("/auth/c{b}", "contains '{}'"),
        ("/oauth_callback/:provider", "'/oauth_callback/{provider}'"),
        ("/oauth_callback/<provider>", "'/oauth_callback/{provider}'"),
        ("/oauth_callback/{provider}/", "write '/oauth_callback/{provider}'"),
        ("oauth_callback/{provider}", "write '/oauth_callback/{provider}'"),
    ],
)
def test_a_route_with_characters_special_on_any_front_is_refused_with_what_to_write(path, words):
    from callback_router.core.routes import route_path_problem

    problem = route_path_problem(path)
    assert problem is not None and words in problem, problem
    assert not is_valid_route_path(path)


@given(st.text(alphabet="abz09-._~/", min_size=1, max_size=20).map(lambda tail: "/x/" + tail.strip("/")))
def test_an_accepted_route_matches_only_itself_literally(path):
    assume(is_valid_route_path(path))
    route = Route(path, "oura")
    assert route.match(path) == "oura"
    assert route.match(path.replace(".", "X")) is (None if "." in path else "oura")
    assert route.match(path + "\n") is None and route.match(path + "/") is None


def test_the_alb_state_condition_admits_exactly_the_jwt_shaped_prefix() -> None:
    from callback_router.core.link_token import JWS_HEADER_PREFIX, could_be_jwt
    from callback_router.core.routes import ALB_STATE_PATTERN

    assert f"{JWS_HEADER_PREFIX}*" == ALB_STATE_PATTERN
    token = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln"
    assert could_be_jwt(token) and token.startswith(ALB_STATE_PATTERN.rstrip("*"))


def test_escape_path_keeps_every_path_character_and_encodes_what_would_end_or_break_it():
    assert escape_path("/a/b%2F~!$&'()*+,;=:@/") == "/a/b%2F~!$&'()*+,;=:@/"
    assert escape_path('/x y?#"<>\\^`{|}\x00\u00e9') == "/x%20y%3F%23%22%3C%3E%5C%5E%60%7B%7C%7D%00%C3%A9"
