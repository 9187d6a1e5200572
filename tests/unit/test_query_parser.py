"""The one query parser every front reads ``state`` with, pinned to the WHATWG rules.

https://url.spec.whatwg.org/#urlencoded-parsing (what a browser's ``URLSearchParams`` does):
split on ``&``, skip empty parts, split each at the first ``=`` (none: empty value), ``+`` is a
space, percent-decode the bytes, read them as UTF-8 with U+FFFD for what is not. Python's
``parse_qsl(keep_blank_values=True)`` implements the same rules, so it is the oracle wherever the
two agree; the one place they differ is pinned below.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from callback_router.core.uri import encode_query_pairs, query_pairs, query_values

WHATWG_CASES = [
    pytest.param("state=x", [("state", "x")], id="plain"),
    pytest.param("st%61te=x", [("state", "x")], id="escaped-key"),
    pytest.param("%73tate=x&%73%74%61%74%65=y", [("state", "x"), ("state", "y")], id="escaped-key-everywhere"),
    pytest.param("STATE=x", [("STATE", "x")], id="case-kept"),
    pytest.param("st%2561te=x", [("st%61te", "x")], id="decoded-once-only"),
    pytest.param("state", [("state", "")], id="bare-key"),
    pytest.param("state=", [("state", "")], id="empty-value"),
    pytest.param("=x", [("", "x")], id="empty-key"),
    pytest.param("a=b=c", [("a", "b=c")], id="first-equals-splits"),
    pytest.param("&&a&&", [("a", "")], id="empty-parts-skipped"),
    pytest.param("a=x+y%20z%2B", [("a", "x y z+")], id="plus-and-escapes"),
    pytest.param("state+=x", [("state ", "x")], id="plus-in-key"),
    pytest.param("a=%zz%4%&b=%%41", [("a", "%zz%4%"), ("b", "%A")], id="bad-escapes-stay"),
    pytest.param("a=%C3%A9%e2%9c%93", [("a", "é✓")], id="utf8-any-hex-case"),
    pytest.param("a=%FF%C3", [("a", "\ufffd\ufffd")], id="invalid-utf8"),
    pytest.param("a=%E2%82é", [("a", "\ufffdé")], id="truncated-sequence-then-literal"),
    pytest.param("a=%ED%A0%80", [("a", "\ufffd\ufffd\ufffd")], id="encoded-surrogate"),
    pytest.param("%EF%BB%BFstate=x", [("\ufeffstate", "x")], id="bom-not-stripped"),
    pytest.param("a=%26b%3Dc", [("a", "&b=c")], id="escaped-separators"),
    pytest.param("a=x#y", [("a", "x#y")], id="hash-is-data"),
    pytest.param("", [], id="empty"),
]


@pytest.mark.parametrize(("query", "pairs"), WHATWG_CASES)
def test_the_parser_follows_the_whatwg_rules(query: str, pairs: list[tuple[str, str]]) -> None:
    assert query_pairs(query) == pairs
    assert query_pairs(query) == parse_qsl(query, keep_blank_values=True)


def test_where_it_differs_from_parse_qsl_a_lone_surrogate_reads_as_a_replacement_character() -> None:
    # Only a hand-made event can hold one (JSON's "\ud800"); a browser's string is Unicode scalar
    # values, so URLSearchParams sees U+FFFD there. parse_qsl keeps the surrogate.
    assert query_pairs("st\ud800=a\udfffb") == [("st\ufffd", "a\ufffdb")]
    assert parse_qsl("st\ud800=a\udfffb", keep_blank_values=True) == [("st\ud800", "a\udfffb")]


HOSTILE_PIECES = st.sampled_from(
    ["state", "st%61te", "%73tate", "STATE", "=", "&", "+", " ", "%", "%2", "%20", "%2B", "%26", "%3D", "%zz",
     "%C3", "%A9", "%FF", "%ed%a0%80", "é", "\u202e", "\x00", "\n", "#", "?", ";", "eyJ", ".", "x"]
)  # fmt: skip
HOSTILE_QUERIES = st.lists(HOSTILE_PIECES, max_size=16).map("".join)
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)  # no lone surrogates


@given(query=st.one_of(HOSTILE_QUERIES, ANY_TEXT))
@example(query="state&st%61te=x")
def test_the_parser_agrees_with_parse_qsl_on_any_text_without_surrogates(query: str) -> None:
    assert query_pairs(query) == parse_qsl(query, keep_blank_values=True)


# Names a key reaches only through decoding ('+' is a space, a lone surrogate U+FFFD) too: the
# shortcut that skips decoding a plain key must skip only keys that cannot decode to the name.
@given(
    query=st.one_of(HOSTILE_QUERIES, st.text(max_size=40)),
    name=st.sampled_from(["state", "STATE", "", "a", "a b", " ", "\ufffd", "é"]),
)
@example(query="a+b=1&a%20b=2", name="a b")
@example(query="\ud800=1&%ED%A0%80=2", name="\ufffd")
def test_query_values_are_the_parsers_values_for_that_name(query: str, name: str) -> None:
    assert query_values(query, name) == [value for key, value in query_pairs(query) if key == name]


@given(pairs=st.lists(st.tuples(ANY_TEXT, ANY_TEXT), max_size=6))
def test_the_rest_api_re_encoding_reads_back_as_the_pairs_api_gateway_decoded(pairs: list[tuple[str, str]]) -> None:
    # REST hands over decoded pairs; what the router forwards must parse back to exactly them.
    assert query_pairs(encode_query_pairs(pairs)) == pairs


def test_a_null_value_in_a_hand_made_event_is_written_as_a_bare_key() -> None:
    assert encode_query_pairs([("flag", None), ("state", "x")]) == "flag&state=x"
    assert query_pairs("flag&state=x") == [("flag", ""), ("state", "x")]
