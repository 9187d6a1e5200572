"""``make bench``'s CloudFront Function section: the Lambda@Edge price arithmetic and the cost rows."""

from __future__ import annotations

import pytest

from benchmarks.cloudfront_function import edge_cost_per_million, render
from benchmarks.lambda_model import ModelResult


def test_lambda_edge_bills_requests_plus_gb_seconds_rounded_up_to_the_millisecond() -> None:
    # 128 MB = 0.125 GB; 1 ms = 0.001 s: 1e6 x 0.000125 GB-s x $0.00005001 = $0.00625125, plus $0.60.
    assert edge_cost_per_million(128, 0.4) == pytest.approx(0.60625125)
    assert edge_cost_per_million(128, 1.0) == edge_cost_per_million(128, 0.01)
    assert edge_cost_per_million(128, 33.2) == pytest.approx(0.60 + 34 * 0.00625125)


def test_the_section_compares_with_the_same_runs_edge_figures() -> None:
    cff = {"per_request": {"junction": 5.0, "foreign": 4.0}, "code_bytes": 8770, "rounds": 15, "repeat": 20_000}
    warm = {"per_event": {"junction": {"cloudfront": 20.0}, "foreign": {"cloudfront": 16.0}}}
    model = {"junction": ModelResult(runtime=5.0, init=30.0, first=3.2, warm=0.4)}
    text = "\n".join(render(cff, warm, model, 128))
    assert "| junction | 5.00 | 20.0 | 0.25x | 400 | 0.013x |" in text
    assert "| foreign | 4.00 | 16.0 | 0.25x | n/a | n/a |" in text  # the model has no foreign first event
    assert "| CloudFront Function | one invocation | 0.10 | 1x |" in text
    assert "| Lambda@Edge 128 MB, all warm | 1 ms (0.40 measured) | 0.61 | 6.1x |" in text
    assert "| Lambda@Edge 128 MB, all cold | 34 ms (33.20 measured) | 0.81 | 8.1x |" in text
    assert "https://aws.amazon.com/cloudfront/pricing/" in text and "https://aws.amazon.com/lambda/pricing/" in text
