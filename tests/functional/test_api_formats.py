"""The regional fronts' answers, written without Powertools, are the ones Powertools' resolvers write.

Powertools stays the contract for each front's format (issue 15): for any answer the router can
give (its own 307 and texts, a proxied answer with repeated headers, cookies and binary bodies),
``Front.write`` must produce exactly what ``ResponseBuilder.build`` produces for the same
``Response`` on the same event.
"""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Response as PowertoolsResponse
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder
from aws_lambda_powertools.utilities.data_classes import ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2
from hypothesis import given
from hypothesis import strategies as st

from callback_router.adapters.alb import ALB_FRONT
from callback_router.adapters.api import Answer, Front, redirect_response
from callback_router.adapters.api import text_response as router_text
from callback_router.adapters.http_api import HTTP_API_FRONT
from callback_router.adapters.rest_api import REST_API_FRONT
from tests.functional.sources import alb_event, http_api_event, rest_api_event

PATH, QUERY = "/oauth_callback/fitbit", "code=c&state=s"
FRONT_EVENTS: list[tuple[Front, Any, dict[str, Any]]] = [
    (HTTP_API_FRONT, APIGatewayProxyEventV2, http_api_event(PATH, QUERY, "GET")),
    (REST_API_FRONT, APIGatewayProxyEvent, rest_api_event(PATH, QUERY, "GET")),
    (ALB_FRONT, ALBEvent, alb_event(PATH, QUERY, "GET", multi_value=False)),
    (ALB_FRONT, ALBEvent, alb_event(PATH, QUERY, "GET", multi_value=True)),
]
text = st.text(st.characters(codec="utf-8"), max_size=20)
header_values = st.one_of(text, st.lists(text, min_size=1, max_size=3))
answers = st.one_of(
    st.builds(redirect_response, text),
    st.builds(router_text, st.sampled_from([400, 404, 502, 503]), text),
    st.builds(
        Answer,
        st.integers(100, 599),
        st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True), header_values, max_size=4),
        st.one_of(text, st.binary(max_size=40)),
        st.lists(text, max_size=3),
    ),
)


def powertools_answer(answer: Answer, event_class: Any, event: dict[str, Any]) -> dict[str, Any]:
    response = PowertoolsResponse(
        status_code=answer.status,
        headers=dict(answer.headers),
        body=answer.body,
        # Powertools writes each cookie with str(): a serialized Set-Cookie value passes as it is.
        cookies=list(answer.cookies),  # type: ignore[arg-type]
    )
    with warnings.catch_warnings():  # ALB single-value: Powertools warns, then keeps the last value
        warnings.simplefilter("ignore")
        return ResponseBuilder(response).build(event_class(event))


@given(answer=answers, index=st.integers(0, len(FRONT_EVENTS) - 1))
def test_every_front_writes_what_powertools_writes(answer: Answer, index: int) -> None:
    front, event_class, event = FRONT_EVENTS[index]
    assert front.write(answer, event) == powertools_answer(answer, event_class, event)
