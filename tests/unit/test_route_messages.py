"""What ``cdk synth`` tells a user about a route path, word for word, and the patterns the fronts get.

A refused route path is the first thing many users meet; the message says what to write instead,
so it is pinned whole (a test that only looks for a word would pass a garbled suggestion).
"""

from __future__ import annotations

import pytest

from callback_router.core.routes import Route, path_patterns, route_path_problem
from callback_router.core.uri import encode_query_pairs

EMPTY = "has an empty segment ('//' or a lone '/'): write a path such as '/oauth_callback/{provider}'"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/", f"'/' {EMPTY}"),  # the root is not a callback path: one empty segment
        ("/a//b", f"'/a//b' {EMPTY}"),
        ("/oauth_callback/", "'/oauth_callback/' ends with '/': write '/oauth_callback' (every front matches the "
         "path exactly)"),
        ("/cb/callbackX/", "'/cb/callbackX/' ends with '/': write '/cb/callbackX' (every front matches the path "
         "exactly)"),
        ("/cb/strava(v2)", "'/cb/strava(v2)': segment 'strava(v2)' contains '()'; route segments may use only "
         "letters, digits and '- . _ ~', matched literally on every front (characters such as ( ) + * ? $ [ ] are "
         "patterns on some fronts); rename the path, e.g. 'stravav2' or 'strava-v2' for 'strava(v2)' or "
         "'strava+v2'"),
    ],
)  # fmt: skip
def test_a_refused_route_path_says_exactly_what_to_write(path, message):
    assert route_path_problem(path) == message


@pytest.mark.parametrize(
    ("path", "message"),
    [
        # Another framework's placeholder: the advice puts the one placeholder in that segment only.
        ("/cb/:provider", "'/cb/:provider': ':provider' is not a placeholder here; use '{provider}', the one "
         "placeholder a route takes (the provider's slug), e.g. '/cb/{provider}'"),
        ("/{slug}/cb/{slug}", "'/{slug}/cb/{slug}': '{slug}' is not a placeholder here; use '{provider}', the one "
         "placeholder a route takes (the provider's slug), e.g. '/{provider}/cb/{slug}'"),
        # The route already has its placeholder: never advise a second one.
        ("/cb/{provider}/:id", "'/cb/{provider}/:id': ':id' is not a placeholder here; use '{provider}', the one "
         "placeholder a route takes (the provider's slug), and every other segment literal"),
    ],
)  # fmt: skip
def test_a_placeholder_of_another_framework_gets_advice_with_one_provider(path, message):
    assert route_path_problem(path) == message


def test_alb_and_cloudfront_patterns_put_a_wildcard_where_the_provider_stands():
    routes = (Route("/oauth_callback/{provider}"), Route("/auth/strava/callback", "strava"), Route("/v1/{provider}/cb"))
    assert path_patterns(routes) == ["/oauth_callback/*", "/auth/strava/callback", "/v1/*/cb"]


def test_a_rest_api_key_is_encoded_whole_with_or_without_a_value():
    # Payload 1.0 hands over decoded pairs; a '/' in a key is encoded like any other reserved
    # character, whether the key came with a value or bare (a null value in a hand-made event).
    assert encode_query_pairs([("a/b", None), ("c/d", "e/f"), ("x y", "")]) == "a%2Fb&c%2Fd=e%2Ff&x%20y="
