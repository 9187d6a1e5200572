"""The ``invoke`` fallback: the company's own Lambda function gets the front's event, unchanged,
and its result goes back verbatim; real router handlers against the loopback Lambda stand-in
(``tools/local_lambda.py``, which checks every request's SigV4 signature)."""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.conftest import Configure, Output, Router
from tests.functional.raw_upstream import RawRequest, RawUpstream, answer_bytes, serve_raw
from tests.functional.sources import API_SOURCES, DEFAULT_PATH, Source
from tests.support.contexts import LambdaContext
from tests.support.fresh import run_cold
from tests.support.tokens import SANDBOX_US, mint_token
from tools.local_lambda import TEST_CREDENTIALS, LocalLambda, RawResult
from tools.tls import throwaway_certificate

REGION = "us-east-1"
ARN = f"arn:aws:lambda:{REGION}:123456789012:function:company-callback"
COMPANY_QUERY = "code=4d0a6bcf&state=company-state-1"


def invoke_config(function_arn: str = ARN, timeout_seconds: float | None = None) -> dict[str, Any]:
    fallback: dict[str, Any] = {"mode": "invoke", "function_arn": function_arn}
    if timeout_seconds is not None:
        fallback["timeout_seconds"] = timeout_seconds
    return {"environments": ["sandbox-us"], "fallback": fallback}


class Company:
    """The company's callback function: records each event it gets, answers ``result``."""

    def __init__(self, result: Any = None) -> None:
        self.events: list[Any] = []
        self.result: Any = result if result is not None else {"statusCode": 302, "headers": {"Location": "/home"}}
        self.behaviour: Callable[[Any], Any] | None = None

    def __call__(self, event: Any, context: Any) -> Any:
        self.events.append(event)
        return self.behaviour(event) if self.behaviour is not None else self.result


@pytest.fixture
def company() -> Company:
    return Company()


@pytest.fixture
def local(company: Company, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalLambda]:
    with LocalLambda({"company-callback": company, "busy": company}, throttled=frozenset({"busy"})) as stand_in:
        for name, value in stand_in.environ().items():
            monkeypatch.setenv(name, value)
        yield stand_in


@pytest.fixture
def invoking(configure: Configure, local: LocalLambda) -> Router:
    return configure(invoke_config())


def call(router: Router, source: Source, event: dict[str, Any]) -> Any:
    return getattr(router, source.handler)(event, LambdaContext())


@pytest.mark.parametrize("source", API_SOURCES, ids=lambda source: source.name)
def test_company_callback_gets_the_event_unchanged_and_its_result_verbatim(
    invoking: Router, local: LocalLambda, company: Company, source: Source
) -> None:
    event = source.event(DEFAULT_PATH, COMPANY_QUERY)
    sent = copy.deepcopy(event)
    company.result = {
        "statusCode": 302,
        "headers": {"Location": "https://app.example.com/home"},
        "multiValueHeaders": {"Set-Cookie": ["session=abc; Secure; HttpOnly", "oauth_state=; Max-Age=0"]},
        "cookies": ["a=1", "b=2"],
        "body": "",
        "isBase64Encoded": False,
        "extra": {"nested": [1, 2.5, None, True]},
    }
    answer = call(invoking, source, event)
    assert answer == company.result
    assert company.events == [sent]
    # The very bytes the front produced, as JSON: nothing added, dropped or re-encoded.
    assert json.loads(local.invocations[0].payload) == sent
    assert local.invocations[0].headers["X-Amz-Invocation-Type"] == "RequestResponse"
    assert local.invocations[0].function == ARN


@pytest.mark.parametrize("source", API_SOURCES, ids=lambda source: source.name)
@pytest.mark.parametrize(
    "result",
    ["a bare string (payload 2.0 simple response)", {"message": "a dict without statusCode"}, 42, [1, "x"], None],
    ids=["string", "dict", "number", "list", "null"],
)
def test_any_json_result_is_returned_as_is(invoking: Router, company: Company, source: Source, result: Any) -> None:
    company.behaviour = lambda _: result
    assert call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY)) == result


@pytest.mark.parametrize("source", API_SOURCES, ids=lambda source: source.name)
def test_junction_callbacks_still_get_the_307(invoking: Router, company: Company, source: Source) -> None:
    result = source.send(invoking, DEFAULT_PATH, f"code=c&state={mint_token(SANDBOX_US)}")
    assert result.status == 307
    assert result.location is not None
    assert result.location.startswith(f"{SANDBOX_US}/connect/fitbit?")
    assert company.events == []


@pytest.mark.parametrize("source", API_SOURCES, ids=lambda source: source.name)
@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/some/other/path", "x=1"),  # not a route
        ("/oauth_callback/Not..A..Slug", COMPANY_QUERY),  # invalid provider
        ("/oauth_callback/fitbit", f"state={mint_token(SANDBOX_US)}&state=company"),  # repeated state
        ("/oauth_callback/fitbit", f"state={mint_token('https://evil.example/v2/link')}"),  # not Junction's aud
    ],
    ids=["other-path", "invalid-provider", "repeated-state", "foreign-aud"],
)
def test_every_request_that_is_not_redirected_reaches_the_company(
    invoking: Router, company: Company, source: Source, path: str, query: str
) -> None:
    event = source.event(path, query)
    sent = copy.deepcopy(event)
    assert call(invoking, source, event) == company.result
    assert company.events == [sent]


@pytest.mark.parametrize("source", API_SOURCES, ids=lambda source: source.name)
def test_events_the_router_finds_malformed_still_reach_the_company(
    invoking: Router, company: Company, source: Source
) -> None:
    event = source.event(DEFAULT_PATH, COMPANY_QUERY)
    event["queryStringParameters"] = ["not", "a", "map"]
    event["multiValueQueryStringParameters"] = 7
    sent = copy.deepcopy(event)
    assert call(invoking, source, event) == company.result
    assert company.events == [sent]


def test_an_event_of_no_known_shape_reaches_the_company(invoking: Router, company: Company) -> None:
    assert invoking.api_handler({}, LambdaContext()) == company.result
    assert company.events == [{}]


@pytest.mark.parametrize("event", [[1, "two"], "a string", None, 7], ids=["list", "string", "null", "number"])
def test_an_event_that_is_no_object_reaches_the_company_and_fails_cleanly(
    invoking: Router, company: Company, output: Callable[[], Output], event: Any
) -> None:
    assert invoking.api_handler(event, LambdaContext()) == company.result
    assert company.events == [event]
    company.behaviour = _raise
    answer = invoking.api_handler(event, LambdaContext())
    assert answer == {
        "statusCode": 502,
        "headers": {"Content-Type": "application/json"},
        "body": '{"message": "Internal server error"}',
        "isBase64Encoded": False,
    }
    assert "Traceback" not in output().text


def test_a_huge_event_travels_whole(invoking: Router, company: Company) -> None:
    source = API_SOURCES[0]
    event = source.event(DEFAULT_PATH, COMPANY_QUERY)
    event["body"] = 'é\u2028"\\' * 400_000  # 3.6 MB as UTF-8 JSON: escapes and multi-byte characters
    sent = copy.deepcopy(event)
    call(invoking, source, event)
    assert company.events == [sent]


FRONT_ERRORS = {
    "http_api": (502, {"Content-Type": "application/json"}, '{"message": "Internal server error"}'),
    "rest_api": (502, {"Content-Type": "application/json"}, '{"message": "Internal server error"}'),
    "function_url": (502, {"Content-Type": "text/plain"}, "Internal Server Error"),
    "alb_single": (502, {"Content-Type": "text/html"}, "502 Bad Gateway"),
    "alb_multi": (502, {"Content-Type": ["text/html"]}, "502 Bad Gateway"),
}


def assert_front_error(answer: Any, source: Source, output: Output, *, refused: bool = False) -> None:
    status, headers, body = FRONT_ERRORS[source.name]
    # API Gateway answers 500 when the Lambda API rejects the invoke, 502 when the function fails.
    assert answer["statusCode"] == (500 if refused and source.name in ("http_api", "rest_api") else status)
    assert answer.get("multiValueHeaders" if source.name == "alb_multi" else "headers") == headers
    assert body in answer["body"]
    assert ("statusDescription" in answer) == source.name.startswith("alb")
    assert output.metric_names().count("FallbackUpstreamError") == 1
    assert "Traceback" not in output.text


def _raise(_: Any) -> Any:
    raise RuntimeError("company bug: secret-code-exchange-detail")


@pytest.mark.parametrize("source", API_SOURCES, ids=lambda source: source.name)
def test_a_failing_company_function_gets_the_fronts_own_error(
    invoking: Router, company: Company, source: Source, output: Callable[[], Output]
) -> None:
    company.behaviour = _raise
    answer = call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY))
    seen = output()
    assert_front_error(answer, source, seen)
    # The function's error JSON is never passed to the browser nor logged.
    assert "secret-code-exchange-detail" not in json.dumps(answer) + seen.text
    assert "company-state-1" not in seen.text
    failures = [line for line in seen.logs if line.get("message") == "fallback function failed"]
    assert failures[0]["reason"] == "function error (Unhandled)"


@pytest.mark.parametrize(
    ("function_arn", "reason"),
    [(ARN.replace("company-callback", "busy"), "Lambda answered 429"), (ARN + "-gone", "Lambda answered 404")],
    ids=["throttled", "not-found"],
)
@pytest.mark.parametrize("source", API_SOURCES, ids=lambda source: source.name)
def test_lambda_refusing_the_invoke_gets_the_fronts_own_error(
    configure: Configure,
    local: LocalLambda,
    source: Source,
    output: Callable[[], Output],
    function_arn: str,
    reason: str,
) -> None:
    router = configure(invoke_config(function_arn))
    answer = call(router, source, source.event(DEFAULT_PATH, COMPANY_QUERY))
    seen = output()
    assert_front_error(answer, source, seen, refused=True)
    assert [line["reason"] for line in seen.logs if line.get("message") == "fallback function failed"] == [reason]


def test_a_bad_signature_is_refused_and_counted(
    invoking: Router, company: Company, monkeypatch: pytest.MonkeyPatch, output: Callable[[], Output]
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-key")
    source = API_SOURCES[0]
    answer = call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY))
    assert_front_error(answer, source, output(), refused=True)  # Lambda answers 403
    assert company.events == []


def test_no_credentials_is_a_counted_502(
    invoking: Router, company: Company, monkeypatch: pytest.MonkeyPatch, output: Callable[[], Output]
) -> None:
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    source = API_SOURCES[0]
    assert_front_error(call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY)), source, output())


def test_an_unreachable_endpoint_is_a_counted_502(
    invoking: Router, local: LocalLambda, monkeypatch: pytest.MonkeyPatch, output: Callable[[], Output]
) -> None:
    with LocalLambda({}) as gone:
        url = gone.url
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", url)  # a port nobody listens on any more
    source = API_SOURCES[0]
    assert_front_error(call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY)), source, output())


@pytest.mark.parametrize(
    "endpoint",
    ["localhost:4566", "127.0.0.1", "ftp://127.0.0.1:21", "http://", "http://127.0.0.1:99999", "http://a b:80"],
)
def test_an_endpoint_variable_that_is_no_url_is_a_counted_502_that_says_so(
    invoking: Router, monkeypatch: pytest.MonkeyPatch, output: Callable[[], Output], endpoint: str
) -> None:
    # botocore refuses such a value ("Invalid endpoint"); the router must not guess a host from it.
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", endpoint)
    source = API_SOURCES[0]
    answer = call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY))
    seen = output()
    assert_front_error(answer, source, seen)
    reasons = [line["reason"] for line in seen.logs if line.get("message") == "fallback function failed"]
    assert reasons == ["AWS_ENDPOINT_URL_LAMBDA is not an http(s) URL with a host"]


def test_an_unreachable_endpoint_is_not_called_a_stale_connection(
    invoking: Router, monkeypatch: pytest.MonkeyPatch, output: Callable[[], Output]
) -> None:
    with LocalLambda({}) as gone:
        url = gone.url
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", url)
    source = API_SOURCES[0]
    call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY))
    reasons = [line["reason"] for line in output().logs if line.get("message") == "fallback function failed"]
    assert reasons == ["no answer: ConnectionRefusedError"]  # a fresh connection: nothing was stale


@pytest.mark.parametrize(
    "body",
    [b"<html>not json</html>", b"\xff\xfe not utf-8", b"", b"[" * 100_000 + b"]" * 100_000],
    ids=["not-json", "not-utf8", "empty", "nested-too-deep"],  # the last: json.loads raises RecursionError
)
def test_a_result_that_is_not_json_is_a_counted_502(
    invoking: Router, company: Company, output: Callable[[], Output], body: bytes
) -> None:
    company.behaviour = lambda _: RawResult(body)
    source = API_SOURCES[0]
    assert_front_error(call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY)), source, output())


def test_a_slow_company_function_is_cut_at_the_timeout(
    configure: Configure, local: LocalLambda, company: Company, output: Callable[[], Output]
) -> None:
    router = configure(invoke_config(timeout_seconds=0.3))
    company.behaviour = lambda _: local.stopping.wait(10) and "too late"
    source = API_SOURCES[0]
    answer = call(router, source, source.event(DEFAULT_PATH, COMPANY_QUERY))
    seen = output()
    assert_front_error(answer, source, seen)
    assert [line["reason"] for line in seen.logs if line.get("message") == "fallback function failed"] == ["timeout"]


def test_the_invoke_never_outlives_the_router(
    configure: Configure, local: LocalLambda, company: Company, output: Callable[[], Output]
) -> None:
    class AlmostOut(LambdaContext):
        def get_remaining_time_in_millis(self) -> int:
            return 800  # 0.3 s for the invoke after the router's own margin

    router = configure(invoke_config(timeout_seconds=20))
    company.behaviour = lambda _: local.stopping.wait(10) and "too late"
    source = API_SOURCES[0]
    answer = router.http_api_handler(source.event(DEFAULT_PATH, COMPANY_QUERY), AlmostOut())
    assert_front_error(answer, source, output())


def test_a_warm_container_keeps_one_connection(invoking: Router, local: LocalLambda, company: Company) -> None:
    source = API_SOURCES[0]
    for _ in range(3):
        assert call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY)) == company.result
    ports = {invocation.client_port for invocation in local.invocations}
    assert len(local.invocations) == 3
    assert len(ports) == 1


def test_a_kept_connection_the_endpoint_dropped_is_replaced_without_invoking_twice(
    configure: Configure, company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalLambda({"company-callback": company}, drop_kept_connections=True) as dropping:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", dropping.url)
        for name, value in TEST_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        router = configure(invoke_config())
        source = API_SOURCES[0]
        for _ in range(3):
            assert call(router, source, source.event(DEFAULT_PATH, COMPANY_QUERY)) == company.result
            assert dropping.dropped.acquire(timeout=5)  # the container "sleeps" until the endpoint has hung up
        assert len(company.events) == 3
        assert len({invocation.client_port for invocation in dropping.invocations}) == 3


def test_init_never_invokes_the_company_function(invoking: Router, local: LocalLambda) -> None:
    # The init warm-up serves synthetic callbacks: none may run the company's code.
    assert local.invocations == []


def test_a_result_larger_than_any_front_carries_is_a_counted_502(
    invoking: Router, company: Company, output: Callable[[], Output]
) -> None:
    company.behaviour = lambda _: "x" * 6_100_000
    source = API_SOURCES[0]
    answer = call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY))
    seen = output()
    assert_front_error(answer, source, seen)
    reasons = [line["reason"] for line in seen.logs if line.get("message") == "fallback function failed"]
    assert reasons == ["result larger than any front carries"]


def test_the_company_function_runs_once_even_if_answer_writing_fails(
    invoking: Router, company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second invoke would run the company's code exchange twice (the second then fails).
    def broken(*_: Any) -> Any:
        raise RuntimeError("response building failed")

    monkeypatch.setattr(type(invoking.api.HTTP_API_FRONT), "write", broken)
    source = API_SOURCES[0]
    assert call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY)) == company.result
    assert len(company.events) == 1


def test_an_invoke_stage_builds_its_tls_context_at_init() -> None:
    # The Lambda endpoint is HTTPS: built on the first callback, the context costs that user
    # 701 ms at 128 MB (BENCHMARKS.md, the proxy fallback's same context).
    code = (
        "import callback_router.api_handlers\n"
        "from callback_router.fallbacks.tls import tls_context\n"
        "print(tls_context.cache_info().currsize)\n"
    )
    config = json.dumps(invoke_config())
    result = run_cold(code, config)
    assert result.stdout.split() == ["1"]


@pytest.fixture
def raw_endpoint() -> Iterator[RawUpstream]:
    """A Lambda endpoint that answers whatever bytes a test sets."""
    yield from serve_raw()


def test_a_result_cut_short_of_its_length_is_a_counted_502(
    invoking: Router, raw_endpoint: RawUpstream, monkeypatch: pytest.MonkeyPatch, output: Callable[[], Output]
) -> None:
    # `"ok"` is JSON on its own: only the promised Content-Length tells that more was to come.
    cut = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"ok"'
    raw_endpoint.answer = lambda _: cut
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", raw_endpoint.url)
    source = API_SOURCES[0]
    assert_front_error(call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY)), source, output())
    assert len(raw_endpoint.received) == 1  # answered, so never retried: the code exchange runs once


def test_the_stand_in_serves_https_and_the_router_verifies_its_certificate(tmp_path: Path, company: Company) -> None:
    # `make bench` compares invoke with proxy: both must pay a real, verifying TLS handshake.
    code = (
        "from callback_router.fallbacks.lambda_client import InvokeFailed, invoke\n"
        "try:\n"
        f"    print(invoke({ARN!r}, b'{{}}', 10.0))\n"
        "except InvokeFailed as error:\n"
        "    print('failed:', error.reason)\n"
    )
    root = Path(__file__).resolve().parents[2]
    with LocalLambda({"company-callback": company}, tls=throwaway_certificate(tmp_path)) as stand_in:
        assert stand_in.url.startswith("https://127.0.0.1:")
        answers = []
        for trusted in ({"SSL_CERT_FILE": str(tmp_path / "loopback-cert.pem")}, {}):
            result = subprocess.run(
                [sys.executable, "-c", code],
                env={"PYTHONPATH": str(root / "lambda"), **stand_in.environ(), **trusted},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            answers.append(result.stdout.strip())
    assert answers[0] == "{'statusCode': 302, 'headers': {'Location': '/home'}}"
    assert answers[1].startswith("failed:") and answers[1].endswith("SSLCertVerificationError")  # really TLS
    assert len(company.events) == 1


def _signed_endpoint(upstream: RawUpstream, result: Any) -> Callable[[RawRequest], bytes]:
    """What Lambda's endpoint does: 200 with ``result`` for a correctly signed invoke, else 403."""
    checker = LocalLambda({})
    checker.url = upstream.url

    def answer(request: RawRequest) -> bytes:
        method, target, _ = request.request_line.decode("latin-1").split(" ", 2)
        lines = request.head.decode("latin-1").split("\r\n")[1:]
        headers = {name.strip(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        if method == "POST" and checker.verified(target, headers, request.body):
            return answer_bytes(body=json.dumps(result).encode())
        return answer_bytes("403 Forbidden", body=b'{"message": "signature does not match"}')

    return answer


def test_an_endpoint_url_with_a_path_is_invoked_under_that_path(
    invoking: Router, raw_endpoint: RawUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore keeps an endpoint URL's path (a gateway or a LocalStack-like mount) before the
    # Invoke path, and signs the path it sends.
    raw_endpoint.answer = _signed_endpoint(raw_endpoint, {"statusCode": 302})
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", raw_endpoint.url + "/mounted/lambda/")
    source = API_SOURCES[0]
    assert call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY)) == {"statusCode": 302}
    assert raw_endpoint.received[0].request_line.startswith(b"POST /mounted/lambda/2015-03-31/functions/arn%3Aaws")


@pytest.fixture
def ipv6_endpoint() -> Iterator[RawUpstream]:
    yield from serve_raw("::1")


def test_an_ipv6_endpoint_gets_a_bracketed_host(
    invoking: Router, ipv6_endpoint: RawUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    ipv6_endpoint.answer = _signed_endpoint(ipv6_endpoint, "ok")
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", ipv6_endpoint.url)
    source = API_SOURCES[0]
    assert call(invoking, source, source.event(DEFAULT_PATH, COMPANY_QUERY)) == "ok"
    port = ipv6_endpoint.url.rpartition(":")[2]
    assert ipv6_endpoint.received[0].header("Host") == [f"[::1]:{port}".encode()]  # RFC 9110 section 7.2


@pytest.fixture
def endpoint_that_drops_the_second_request() -> Iterator[tuple[str, list[bytes]]]:
    """One connection: the first invoke is answered and the connection kept; the second invoke is
    read whole (Lambda has it: the company's function runs) and the connection then drops with no
    answer. Later connections are answered. Yields the endpoint URL and each request's bytes."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stopping = threading.Event()
    received: list[bytes] = []
    answer = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n"ok"'

    def read(connection: socket.socket) -> None:
        connection.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data and (chunk := connection.recv(65536)):
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(RawRequest(head, b"").header("Content-Length")[0])
        while len(body) < length and (chunk := connection.recv(65536)):
            body += chunk
        received.append(head + b"\r\n\r\n" + body)

    def accept() -> socket.socket | None:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                return listener.accept()[0]
        return None

    def serve() -> None:
        with contextlib.suppress(OSError, IndexError):
            first = accept()
            if first is None:
                return
            with first:
                read(first)
                first.sendall(answer)
                read(first)  # then closed, unanswered
            while (later := accept()) is not None:
                with later:
                    read(later)
                    later.sendall(answer)

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
    stopping.set()
    worker.join(timeout=5)
    listener.close()
    assert not worker.is_alive()


def test_an_invoke_lambda_may_have_received_is_never_sent_again(
    invoking: Router,
    endpoint_that_drops_the_second_request: tuple[str, list[bytes]],
    monkeypatch: pytest.MonkeyPatch,
    output: Callable[[], Output],
) -> None:
    # Once the whole request is on the wire the company's function may have run (the code
    # exchanged): a second invoke would exchange the used code again and fail the login.
    url, received = endpoint_that_drops_the_second_request
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", url)
    source = API_SOURCES[0]
    assert call(invoking, source, source.event(DEFAULT_PATH, "code=first&state=s1")) == "ok"
    output()
    answer = call(invoking, source, source.event(DEFAULT_PATH, "code=second&state=s2"))
    assert_front_error(answer, source, output())
    assert [request.count(b"code=second") for request in received] == [0, 1]
