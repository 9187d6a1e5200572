"""The CloudFront Function front, pure: viewer-request events in the CloudFront Functions shape, and their results.

No sockets and no Node: :func:`function_request` turns one HTTP request into the request the
runner (:class:`tools.cloudfront_function.NodeFunctionRunner`) hands the generated code as
``event.request`` (``method``, ``uri``, ``querystring`` object, ``headers``, ``cookies`` and
``rawQueryString()``); :func:`function_outcome` turns the runner's result into what CloudFront
does next: the request to pass on to the origin, or the answer to write out.

Event shape: CloudFront developer guide, "CloudFront Functions event structure"
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html).
Query names and values are kept as received (not decoded); the ``Cookie`` header is parsed into
``cookies`` and not repeated in ``headers``; a repeated name keeps its first value in ``value`` and
all of them in ``multiValue``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tools.local_gateway.cloudfront import generated_answer

Answer = tuple[int, list[tuple[str, str]], bytes, str | None]
UNHANDLED_EXCEPTION = (
    503,
    [("Content-Type", "text/plain; charset=utf-8")],
    b"503 ERROR: the CloudFront function raised an exception (FunctionExecutionError).\n",
    "Service Unavailable",
)
"""What CloudFront answers when a function throws: there is no fail-open setting."""
INVALID_RESULT = (
    502,
    [("Content-Type", "text/plain; charset=utf-8")],
    b"502 ERROR: the CloudFront function returned an invalid value (FunctionValidationError).\n",
    "Bad Gateway",
)
"""What CloudFront answers when a function returns something that is neither a request nor a response."""


def _fields(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """``{name: {"value": first, "multiValue": [...]}}``: CloudFront Functions' shape for repeated names."""
    fields: dict[str, dict[str, Any]] = {}
    for name, value in pairs:
        if name in fields:
            field = fields[name]
            field.setdefault("multiValue", [{"value": field["value"]}]).append({"value": value})
        else:
            fields[name] = {"value": value}
    return fields


def _cookie_pairs(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    pairs = []
    for name, value in headers:
        if name.lower() == "cookie":
            for part in value.split(";"):
                key, _, text = part.strip().partition("=")
                if key:
                    pairs.append((key, text))
    return pairs


def function_request(method: str, target: str, headers: list[tuple[str, str]], request_id: str) -> dict[str, Any]:
    """The runner's request for one viewer request (see ``tools/cloudfront_function_runner.cjs``)."""
    uri, mark, raw = target.partition("?")
    pairs = [item.partition("=") for item in raw.split("&") if item] if mark else []
    return {
        "method": method,
        "uri": uri,
        "rawQueryString": raw if mark else None,  # None: the runner's rawQueryString() gives undefined
        "querystring": _fields((name, value) for name, _, value in pairs),
        "headers": _fields((name.lower(), value) for name, value in headers if name.lower() != "cookie"),
        "cookies": _fields(_cookie_pairs(headers)),
        "requestId": request_id,
    }


def _values(field: Any) -> list[str]:
    items = field.get("multiValue") or [field]
    return [str(item["value"]) for item in items]


def _origin_request(request: dict[str, Any]) -> dict[str, Any]:
    """A request the function changed, in the shape :func:`~tools.local_gateway.upstream.forward_to_origin` sends."""
    query = "&".join(
        f"{name}={value}" if value else name
        for name, field in (request.get("querystring") or {}).items()
        for value in _values(field)
    )
    headers: dict[str, list[dict[str, str]]] = {
        name: [{"key": name, "value": value} for value in _values(field)]
        for name, field in (request.get("headers") or {}).items()
    }
    cookies = "; ".join(
        f"{name}={value}" for name, field in (request.get("cookies") or {}).items() for value in _values(field)
    )
    if cookies:
        headers["cookie"] = [{"key": "cookie", "value": cookies}]
    return {"method": str(request["method"]), "uri": str(request["uri"]), "querystring": query, "headers": headers}


def _as_generated(response: dict[str, Any]) -> dict[str, Any]:
    """A CloudFront Functions response as a Lambda@Edge generated response, for CloudFront's shared checks."""
    headers: dict[str, list[dict[str, str]]] = {
        name: [{"key": name, "value": value} for value in _values(field)]
        for name, field in (response.get("headers") or {}).items()
    }
    for name, field in (response.get("cookies") or {}).items():
        attributes = f"; {field['attributes']}" if field.get("attributes") else ""
        cookie = [{"key": "set-cookie", "value": f"{name}={value}{attributes}"} for value in _values(field)]
        headers.setdefault("set-cookie", []).extend(cookie)
    body = response.get("body")
    data, encoding = (body.get("data", ""), body.get("encoding")) if isinstance(body, dict) else (body or "", "text")
    return {
        "status": str(int(response["statusCode"])),
        "statusDescription": response.get("statusDescription"),
        "headers": headers,
        "body": data,
        "bodyEncoding": "base64" if encoding == "base64" else "text",
    }


def function_outcome(result: dict[str, Any], viewer: dict[str, Any]) -> dict[str, Any] | Answer:
    """What CloudFront does with the runner's ``result`` for one request.

    A dict: the request to pass on to the origin (``viewer``, the Lambda@Edge-shaped request of the
    same HTTP request, when the function returned it unchanged). A tuple: the answer to write out
    (status, headers, body, reason): the function's response, ``503`` if it threw, ``502`` if it
    returned something CloudFront refuses.
    """
    if result.get("threw") is not None:
        return UNHANDLED_EXCEPTION
    if result.get("passedOn"):
        return viewer
    returned = result.get("response")
    try:
        if isinstance(returned, dict) and "statusCode" in returned:
            return generated_answer(_as_generated(returned))
        if isinstance(returned, dict) and "uri" in returned and "method" in returned:
            return _origin_request(returned)
    except (KeyError, TypeError, ValueError, AttributeError):
        pass
    return INVALID_RESULT
