"""The local gateway's servers: the four fronts and the company stand-in on 127.0.0.1, started together.

Each front server turns a request into its event with the front's pure emulator
(:mod:`~tools.local_gateway.http_api`, :mod:`~tools.local_gateway.cloudfront`,
:mod:`~tools.local_gateway.cloudfront_function`, :mod:`~tools.local_gateway.alb`), routed by what
the synthesized template holds (:mod:`~tools.local_gateway.synthesized`), calls the very handler
functions that deploy (the CloudFront Function front: the generated JavaScript, in Node), and
writes the answer back as the front would. See the package docstring for the whole.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable
from http.server import HTTPServer, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec

from tools.local_gateway.alb import AlbRule, alb_answer, alb_event, alb_request_headers, match_alb_rule
from tools.local_gateway.cloudfront import generated_answer, select_behaviour, viewer_request_event
from tools.local_gateway.cloudfront_function import function_outcome, function_request
from tools.local_gateway.http_api import NOT_FOUND_BODY, http_api_answer, http_api_event
from tools.local_gateway.invocation import Handler, call_company_function, invoke_handler
from tools.local_gateway.runtime import FALLBACK_CHOICES, alb_runtime_config, local_runtime_config
from tools.local_gateway.standins import (
    COMPANY_STAND_IN_COOKIES,
    HOST,
    CompanyFunctionStandIn,
    QuietHandler,
    StandInServer,
)
from tools.local_gateway.synthesized import Fronts, synthesized_fronts
from tools.local_gateway.upstream import forward_to_origin, forward_to_target

if TYPE_CHECKING:
    from callback_router.core.config import RouterConfig
    from callback_router_app.stages import Stage
    from tools.cloudfront_function import NodeFunctionRunner
    from tools.local_lambda import LocalLambda

CONFIG_ENV_VAR = "CALLBACK_ROUTER_CONFIG"
HANDLER_MODULES = ("callback_router.api_handlers", "callback_router.edge_handler")

_ACTIVE_LOCK = threading.Lock()
_active: LocalGateway | None = None

P = ParamSpec("P")


def _json_field(line: str, name: str) -> str | None:
    """``name`` of a JSON log line, if the line is a JSON object holding it as a string."""
    try:
        value = json.loads(line).get(name)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


class _FrontHandler(QuietHandler):
    server: FrontServer

    def _serve(self) -> None:
        gateway = self.server.gateway
        body = self.read_body()
        headers = list(self.headers.items())
        client_ip = self.client_address[0]
        reason: str | None = None
        try:
            if gateway.without_router:
                status, out_headers, out_body, reason = self._serve_without_router(headers, body, client_ip)
            elif self.server.kind == "http_api":
                port = self.server.server_address[1]
                event = http_api_event(
                    gateway.fronts.http_routes, self.command, self.path, headers, body, client_ip, port
                )
                if event["routeKey"] == "$default" and gateway.company_function is not None:
                    # The company's own routes on the same API, integrated with its function.
                    answer = call_company_function(gateway.company_handler, event)
                    status, out_headers, out_body = http_api_answer(answer)
                elif event["routeKey"] == "$default" and gateway.company_service is not None:
                    # The company's own routes on the same API (its login page, its home page).
                    status, out_headers, out_body = forward_to_target(
                        gateway.company_url, self.command, self.path, headers, body
                    )
                elif event["routeKey"] == "$default":
                    # The stack creates `ANY <path>` routes for the callback paths only, so API
                    # Gateway answers every other path itself, without invoking the function.
                    status, out_headers, out_body = 404, [("Content-Type", "application/json")], NOT_FOUND_BODY
                else:
                    result = invoke_handler(gateway.http_api_handler, event, "callback-router-http-api", gateway.emf)
                    gateway.count_invocation("http_api")
                    status, out_headers, out_body = http_api_answer(result)
            elif self.server.kind == "alb":
                status, out_headers, out_body, reason = self._serve_alb(headers, body, client_ip)
            elif self.server.kind == "cloudfront_function":
                status, out_headers, out_body, reason = self._serve_function(headers, body, client_ip)
            else:
                status, out_headers, out_body, reason = self._serve_edge(headers, body, client_ip)
        except Exception as error:  # noqa: BLE001 -- a handler crash is a 500/502 answer, as in AWS
            sys.stderr.write(f"local gateway: handler raised {type(error).__name__}: {error}\n")
            status, out_headers = (500 if self.server.kind == "http_api" else 502), [("Content-Type", "text/plain")]
            out_body = b"Internal Server Error\n"
        self.reply(status, out_headers, out_body, reason)

    def _serve_edge(
        self, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        gateway = self.server.gateway
        domain = f"{HOST}:{self.server.server_address[1]}"
        event = viewer_request_event(self.command, self.path, headers, client_ip, domain)
        behaviour = select_behaviour(gateway.fronts.behaviours, self.path.partition("?")[0])
        if behaviour is None or not behaviour.viewer_request:  # no function on this behaviour: to the origin
            return (*self._to_origin(event["Records"][0]["cf"]["request"], body), None)
        result = invoke_handler(gateway.viewer_request_handler, event, "us-east-1.callback-router-edge", gateway.emf)
        gateway.count_invocation("edge")
        if isinstance(result, dict) and "status" in result:
            return generated_answer(result)
        return (*self._to_origin(result, body), None)

    def _serve_function(
        self, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        """A behaviour with the CloudFront Function runs the generated code; the rest go to the origin."""
        gateway = self.server.gateway
        domain = f"{HOST}:{self.server.server_address[1]}"
        event = viewer_request_event(self.command, self.path, headers, client_ip, domain)
        viewer = event["Records"][0]["cf"]["request"]
        behaviour = select_behaviour(gateway.fronts.function_behaviours, self.path.partition("?")[0])
        if behaviour is None or not behaviour.viewer_function:
            return (*self._to_origin(viewer, body), None)
        request_id = event["Records"][0]["cf"]["config"]["requestId"]
        result = gateway.run_function(function_request(self.command, self.path, headers, request_id))
        gateway.count_invocation("cloudfront_function")
        outcome = function_outcome(result, viewer)
        if isinstance(outcome, dict):
            return (*self._to_origin(outcome, body), None)
        return outcome

    def _to_origin(self, request: dict[str, Any], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        # A company service builds its URLs from the Host it gets: its distribution must forward
        # the viewer's (the stand-in shows what CloudFront does by default).
        gateway = self.server.gateway
        return forward_to_origin(gateway.company_url, request, body, viewer_host=gateway.company_service is not None)

    def _serve_without_router(
        self, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        """What the front does with no router deployed: every request goes to the company."""
        gateway = self.server.gateway
        if self.server.kind in ("edge", "cloudfront_function"):  # no viewer-request function: to the origin as is
            domain = f"{HOST}:{self.server.server_address[1]}"
            event = viewer_request_event(self.command, self.path, headers, client_ip, domain)
            return (*self._to_origin(event["Records"][0]["cf"]["request"], body), None)
        if self.server.kind == "alb":  # no listener rules: the default action
            return self._alb_default_action(headers, body, client_ip)
        if gateway.invokes:  # the company's function on the callback route, as API Gateway invokes it
            port = self.server.server_address[1]
            event = http_api_event(gateway.fronts.http_routes, self.command, self.path, headers, body, client_ip, port)
            return (*http_api_answer(call_company_function(gateway.company_handler, event)), None)
        # HTTP API: the company's service itself on the public host (the browser cannot tell).
        return (*forward_to_target(gateway.company_url, self.command, self.path, headers, body), None)

    def _alb_default_action(
        self, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        """The company's target group: its function (a Lambda target, multi-value headers on, as the
        router's) with an ``invoke`` fallback, else its HTTP service."""
        gateway = self.server.gateway
        passed_on = alb_request_headers(headers, client_ip, self.server.server_address[1])
        if gateway.invokes:
            return alb_answer(
                call_company_function(gateway.company_handler, alb_event(self.command, self.path, passed_on, body))
            )
        status, out_headers, out_body = forward_to_target(gateway.company_url, self.command, self.path, passed_on, body)
        return status, out_headers, out_body, None

    def _serve_alb(
        self, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        gateway = self.server.gateway
        rule = match_alb_rule(gateway.alb_rules, self.path, headers)
        if rule is None or rule.target == "company":  # the default action, or the bypass rule
            return self._alb_default_action(headers, body, client_ip)
        passed_on = alb_request_headers(headers, client_ip, self.server.server_address[1])
        event = alb_event(self.command, self.path, passed_on, body)
        result = invoke_handler(gateway.alb_handler, event, "callback-router-alb", gateway.emf)
        gateway.count_invocation("alb")
        return alb_answer(result)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve


class FrontServer(ThreadingHTTPServer):
    """One front of the gateway: ``kind`` is ``http_api``, ``edge``, ``cloudfront_function`` or ``alb``."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, gateway: LocalGateway, kind: str, port: int) -> None:
        self.gateway = gateway
        self.kind = kind
        super().__init__((HOST, port), _FrontHandler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.server_address[1]}"


class LocalGateway:
    """The four fronts and the company stand-in (with an ``invoke`` fallback, the local Lambda
    Invoke API and the company function too), started and stopped together.

    Use :func:`start_gateway`, or ``with LocalGateway(stage).start() as gateway: ...``.
    """

    def __init__(
        self,
        stage: Stage,
        *,
        port: int = 0,
        edge_port: int = 0,
        company_port: int = 0,
        alb_port: int = 0,
        log_level: str = "INFO",
        emf: bool = True,
        company_service: HTTPServer | None = None,
        fallback: str = "stage",
        company_function: Handler | None = None,
        template_dir: Path | None = None,
        cff_port: int = 0,
    ) -> None:
        if fallback not in FALLBACK_CHOICES:
            raise ValueError(f"fallback must be one of {', '.join(FALLBACK_CHOICES)}, not {fallback!r}")
        self.stage = stage
        self.template_dir = template_dir
        """Where ``cdk synth`` wrote the stage's template (``cdk.out``); ``None``: synthesize it in-process."""
        self.fronts: Fronts
        """Each front's routing, read from the synthesized templates (set by :meth:`start`)."""
        self.fallback = fallback
        """``stage`` (the stage's own), ``proxy`` or ``invoke``: see :func:`local_runtime_config`."""
        self.company_function = company_function
        """The company's own Lambda handler, if given: the ``invoke`` fallback's target (registered
        on the local Lambda Invoke API under the fallback's ARN) instead of the company function
        stand-in, and what the HTTP API front invokes for the company's other paths. Needs an
        ``invoke`` fallback (the stage's, or ``fallback="invoke"``)."""
        self.lambda_service: LocalLambda | None = None
        """The local Lambda Invoke API (``AWS_ENDPOINT_URL_LAMBDA``) when the fallback is ``invoke``."""
        self.function_stand_in = CompanyFunctionStandIn()
        """The company function stand-in: the ``invoke`` target when no ``company_function`` is given."""
        self.log_level = log_level
        self.emf = emf
        self.company_service = company_service
        """The company's own service, if given: the fronts send the company's requests there instead
        of to the stand-in (fallback, origin, ALB targets), and the HTTP API front its other paths
        too (the company's own routes on the API); the gateway serves it and closes it on stop."""
        self.without_router = False
        """Set True to serve as if no router were deployed (the baseline a transparency test
        compares with): the HTTP API front sends every request to the company as is (the company's
        service on the public host; with an ``invoke`` fallback, its function, invoked with the
        front's event), the CloudFront front to the origin, the ALB front by its default action.
        The handlers are not called. May be switched while running."""
        self._ports = (port, edge_port, company_port, alb_port, cff_port)
        self.company: StandInServer
        self.http_api: FrontServer
        self.edge: FrontServer
        self.alb: FrontServer
        self.cloudfront_function: FrontServer
        self.function_code = ""
        """The CloudFront Function's JavaScript: what the construct generates from the stage's runtime config."""
        self._node: NodeFunctionRunner | None = None
        self._node_lock = threading.Lock()
        self.runtime: dict[str, Any] = {}
        self.alb_runtime: dict[str, Any] = {}
        """The ALB front function's config: the stage's, with the fallback proxying to the ALB front."""
        self.alb_rules: tuple[AlbRule, ...] = ()
        """The ALB front's listener rules by priority (``fronts.alb_rules``)."""
        self.invocations: Counter[str] = Counter()
        """Handler invocations so far, per front (``http_api``, ``edge``, ``cloudfront_function``, ``alb``)."""
        self._invocations_lock = threading.Lock()
        self.notes: list[str] = []
        self._threads: list[threading.Thread] = []
        self._started = False
        self._saved_env: dict[str, str | None] = {}
        self._saved_level = logging.NOTSET
        self._service = ""
        self._router: RouterConfig | None = None

    # URLs of the front servers (valid after start()).
    @property
    def http_api_url(self) -> str:
        """The HTTP API front, ``http://127.0.0.1:PORT``."""
        return self.http_api.url

    @property
    def edge_url(self) -> str:
        """The CloudFront front, ``http://127.0.0.1:PORT``."""
        return self.edge.url

    @property
    def cff_url(self) -> str:
        """The CloudFront Function front, ``http://127.0.0.1:PORT``."""
        return self.cloudfront_function.url

    @property
    def alb_url(self) -> str:
        """The ALB front, ``http://127.0.0.1:PORT``."""
        return self.alb.url

    @property
    def company_url(self) -> str:
        """Where the company's requests go, ``http://127.0.0.1:PORT``: the company service, else the stand-in."""
        if self.company_service is not None:
            return f"http://{HOST}:{self.company_service.server_address[1]}"
        return self.company.url

    @property
    def router(self) -> RouterConfig:
        """The validated config the handlers run with (local fallback included); parsed once."""
        if self._router is None:
            from callback_router.core.config import parse_config

            self._router = parse_config(self.runtime)
        return self._router

    def run_function(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run the CloudFront Function on one request (the runner's request shape) and print its log lines.

        One ``node`` process serves the gateway; its pipe carries one request at a time.
        """
        if self._node is None:
            raise RuntimeError("the gateway is not running")
        with self._node_lock:
            results: list[dict[str, Any]] = self._node.evaluate(self.function_code, [request])["results"]
        [result] = results
        threshold = logging.getLevelName(self.log_level.upper())
        for line in result.get("logs") or []:
            # CloudWatch Logs gets every console.log line; here the gateway's log level filters them.
            level = logging.getLevelName(_json_field(line, "level") or "INFO")
            if not isinstance(level, int) or not isinstance(threshold, int) or level >= threshold:
                print(line, flush=True)
        return result

    def count_invocation(self, front: str) -> None:
        """Count one handler invocation on ``front`` (thread-safe)."""
        with self._invocations_lock:
            self.invocations[front] += 1

    def start(self) -> LocalGateway:
        """Bind every server, load the handlers with the stage's config, and serve in threads.

        Raises:
            RuntimeError: if another gateway is running in this process.
            OSError: if a port is taken (nothing is left running then).
        """
        global _active
        port, edge_port, company_port, alb_port, cff_port = self._ports
        with _ACTIVE_LOCK:
            if _active is not None:
                raise RuntimeError("a local gateway is already running in this process; stop() it first")
            # Before anything binds: a template that cannot be read or emulated leaves nothing running.
            self.fronts = synthesized_fronts(self.stage, self.template_dir)
            self.alb_rules = self.fronts.alb_rules
            self.company = StandInServer("Company callback stand-in", company_port, COMPANY_STAND_IN_COOKIES)
            try:
                self.runtime, note = local_runtime_config(self.stage, self.company_url, self.fallback)
                self.notes = [note] if note else []
                self._start_lambda_service()
                self._router = None
                self._router = self.router
                self._load_handlers()
                opened: list[FrontServer] = []
                try:
                    fronts = (
                        ("http_api", port),
                        ("edge", edge_port),
                        ("alb", alb_port),
                        ("cloudfront_function", cff_port),
                    )
                    for kind, kind_port in fronts:
                        opened.append(FrontServer(self, kind, kind_port))
                    self.http_api, self.edge, self.alb, self.cloudfront_function = opened
                    self._load_alb_handler()
                    self._start_node()
                except BaseException:
                    for front in opened:
                        front.server_close()
                    raise
            except BaseException:
                self._stop_node()
                self.company.server_close()
                if self.company_service is not None:
                    self.company_service.server_close()
                self._stop_lambda_service()
                self._restore()
                raise
            _active = self
        for server in self._servers():
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._started = True
        return self

    def _servers(self) -> list[HTTPServer]:
        servers: list[HTTPServer] = [self.company, self.http_api, self.edge, self.alb, self.cloudfront_function]
        return servers if self.company_service is None else [*servers, self.company_service]

    @property
    def invokes(self) -> bool:
        """Whether the router's fallback is ``invoke`` (the company's callback is a Lambda function)."""
        fallback = self.runtime.get("fallback")
        return isinstance(fallback, dict) and fallback.get("mode") == "invoke"

    @property
    def company_handler(self) -> Handler:
        """The company's Lambda handler: ``company_function``, else the company function stand-in."""
        return self.company_function or self.function_stand_in

    def _start_lambda_service(self) -> None:
        # The router's invoke client reads its endpoint and credentials from the environment at
        # each call, as in AWS: point them at the local Lambda Invoke API (put back on stop).
        if not self.invokes:
            if self.company_function is not None:
                raise ValueError(
                    "company_function is the invoke fallback's target, and this stage's fallback is "
                    f"{self.runtime.get('fallback')!r}: pass fallback='invoke'"
                )
            return
        from callback_router.fallbacks.lambda_client import region_of
        from tools.local_lambda import LocalLambda  # botocore: only when there is an invoke to serve

        arn = str(self.runtime["fallback"]["function_arn"])
        self.lambda_service = LocalLambda({arn: self.company_handler}, region=region_of(arn)).__enter__()
        environ = self.lambda_service.environ()
        self._saved_env.update({name: os.environ.get(name) for name in environ})
        os.environ.update(environ)

    def _start_node(self) -> None:
        # The function's configuration is the handlers' (the stage's runtime config): the code the
        # construct generates for it, run by one long-lived node process.
        from junction_callback_router.cloudfront_function import function_code
        from tools.cloudfront_function import NodeFunctionRunner

        self.function_code = function_code(self.router)
        self._node = NodeFunctionRunner()

    def _stop_node(self) -> None:
        if self._node is not None:
            self._node.close()
            self._node = None

    def _stop_lambda_service(self) -> None:
        if self.lambda_service is not None:
            self.lambda_service.__exit__(None, None, None)
            self.lambda_service = None

    def _load_handlers(self) -> None:
        # The handler modules read CALLBACK_ROUTER_CONFIG once, at import (a cold start): set it,
        # then import them, or re-import them if an earlier gateway in this process loaded them.
        self._saved_env.setdefault(CONFIG_ENV_VAR, os.environ.get(CONFIG_ENV_VAR))
        os.environ[CONFIG_ENV_VAR] = json.dumps(self.runtime)
        for name in HANDLER_MODULES:
            module = sys.modules.get(name)
            if module is None:
                importlib.import_module(name)
            else:
                importlib.reload(module)
        handlers = importlib.import_module("callback_router.handlers")
        self.http_api_handler: Handler = handlers.http_api_handler
        self.viewer_request_handler: Handler = handlers.viewer_request_handler
        # Powertools' Logger is a stdlib logger named after the service: set its level directly.
        self._service = self.router.service
        service_logger = logging.getLogger(self._service)
        self._saved_level = service_logger.level
        service_logger.setLevel(self.log_level.upper())

    def _load_alb_handler(self) -> None:
        # The ALB front's function has its own fallback URL (the ALB front itself), and the handler
        # module reads its config once, at import: run a second instance of the module with that
        # config, as AWS would run a second function. The shared env var is put back afterwards.
        self.alb_runtime, note = alb_runtime_config(self.stage, self.alb.url, self.runtime)
        self.notes.append(note)
        source = importlib.util.find_spec("callback_router.api_handlers")
        assert source is not None and source.origin is not None
        spec = importlib.util.spec_from_file_location("callback_router_local_alb_front", source.origin)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        os.environ[CONFIG_ENV_VAR] = json.dumps(self.alb_runtime)
        try:
            spec.loader.exec_module(module)
        finally:
            os.environ[CONFIG_ENV_VAR] = json.dumps(self.runtime)
        if module.CONFIG is None:  # the handler would answer 503 to everything: say why instead
            raise RuntimeError(f"the ALB front's config is invalid: {module.CONFIG_PROBLEM}")
        self.alb_handler: Handler = module.alb_handler

    def _restore(self) -> None:
        # Leave the process as it was: other code (tests) may load the handlers after us.
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}
        if self._service:
            logging.getLogger(self._service).setLevel(self._saved_level)

    def stop(self) -> None:
        """Stop serving, close every socket, and let another gateway start. Idempotent."""
        global _active
        if not self._started:
            return
        self._started = False
        for server in self._servers():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._stop_node()
        self._stop_lambda_service()
        self._restore()
        with _ACTIVE_LOCK:
            if _active is self:
                _active = None

    def __enter__(self) -> LocalGateway:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _started(gateway: Callable[P, LocalGateway]) -> Callable[P, LocalGateway]:
    """``gateway``'s constructor, with the same typed parameters, returning it already started."""

    def start_gateway(*args: P.args, **kwargs: P.kwargs) -> LocalGateway:
        """Start the gateway for ``stage`` on 127.0.0.1 (port 0 = ephemeral) and return it running: it
        takes exactly :class:`LocalGateway`'s parameters.

        ``gateway.http_api_url``, ``gateway.edge_url``, ``gateway.cff_url``, ``gateway.alb_url`` and
        ``gateway.company_url`` are the bound addresses; ``gateway.company.received()`` what the company
        stand-in got; ``gateway.invocations`` the handler calls per front; ``gateway.stop()`` stops
        everything. ``log_level="ERROR"`` and ``emf=False`` quieten the handlers (tests, load): their
        log lines below that level and their EMF metric lines are not printed.
        """
        return gateway(*args, **kwargs).start()

    return start_gateway


start_gateway = _started(LocalGateway)
