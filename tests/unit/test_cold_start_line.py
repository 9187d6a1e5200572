"""The ColdStart line rendered at init is, character for character, the document it stands for."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from callback_router.powertools_format import LeanMetrics

names = st.text(max_size=80)


@given(namespace=names, service=names, function_name=names, stamp=st.integers(min_value=0, max_value=2**53))
def test_the_pre_rendered_line_is_the_encoded_document(namespace: str, service: str, function_name: str, stamp: int):
    metrics = LeanMetrics(namespace, service)
    document = metrics.cold_start_document(function_name, timestamp_ms=stamp)
    assert metrics.cold_start_line(function_name, timestamp_ms=stamp) == json.dumps(document, separators=(",", ":"))


def test_a_service_named_like_the_template_sentinel_still_gets_its_document():
    metrics = LeanMetrics("Junction/CallbackRouter", "\x00")
    line = metrics.cold_start_line("\x00", timestamp_ms=7)
    assert json.loads(line) == metrics.cold_start_document("\x00", timestamp_ms=7)


def test_the_line_is_stamped_now_by_default():
    line = json.loads(LeanMetrics("Junction/CallbackRouter", "router").cold_start_line("f"))
    document = LeanMetrics("Junction/CallbackRouter", "router").cold_start_document("f")
    assert abs(line["_aws"]["Timestamp"] - document["_aws"]["Timestamp"]) < 60_000
