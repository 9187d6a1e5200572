"""``fits``: the cheap size bound never lets an answer through that is over the front's limit.

``fits`` trusts ``_size_bound`` without serializing when the bound is under the limit, so the
bound must never be below the real size: an answer the front would refuse would go out.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from callback_router.core.limits import _size_bound, fits

# What the adapters put in an answer: text (any character, astral and controls included), the
# status code, booleans, null, nested in header maps and multi-value lists.
text = st.text(alphabet=st.characters(codec=None), max_size=30)
leaves = st.one_of(text, st.integers(min_value=-(10**15), max_value=10**15), st.booleans(), st.none())
answers = st.dictionaries(
    text,
    st.recursive(leaves, lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4)),
    max_size=6,
)


@settings(max_examples=500)
@given(answers)
@example({"statusCode": 307, "headers": {"Location": "😀" * 10}, "body": ""})
@example({"": [[], {}, [None, True, False]], "a": {"b": ["\x00\u2028\ud800"]}})
@example({"statusCode": -(10**15), "isBase64Encoded": False})
def test_the_size_bound_is_never_below_the_serialized_size(answer: dict[str, Any]) -> None:
    assert _size_bound(answer) >= len(json.dumps(answer))


@given(answers, st.integers(min_value=-3, max_value=3))
def test_fits_is_exactly_whether_the_serialized_answer_is_within_the_limit(answer: dict[str, Any], slack: int) -> None:
    size = len(json.dumps(answer))
    assert fits(answer, size + slack) is (slack >= 0)


def test_a_tuple_is_measured_like_the_list_it_serializes_to() -> None:
    answer: dict[str, Any] = {"multiValueHeaders": {"Set-Cookie": ("a" * 100, "b" * 100)}}
    assert _size_bound(answer) >= len(json.dumps(answer)) > 200
    assert not fits(answer, 200)
