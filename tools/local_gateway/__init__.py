"""The router on 127.0.0.1, through the same handler functions that deploy.

``python -m tools.local_gateway --stage sandbox --port 3000 --edge-port 3001 --alb-port 3002 --cff-port 3003
[--fallback invoke]`` (``make run``) starts five stdlib HTTP servers, all bound to 127.0.0.1:

* the **HTTP API front** (``--port``): each request becomes an API Gateway HTTP API payload 2.0
  event (``rawPath``, ``rawQueryString`` exactly as received, lowercased headers plus the
  ``X-Forwarded-For/-Proto/-Port`` API Gateway adds, ``cookies``,
  ``requestContext``, ``pathParameters`` when a ``{provider}`` route matches, base64 bodies) and
  goes to ``callback_router.handlers.http_api_handler``; its answer becomes the HTTP response
  (a path that matches none of the template's route keys gets API Gateway's own 404: the stack
  creates routes for the callback paths only);
* the **CloudFront front** (``--edge-port``): a request whose cache behaviour (the template's
  path patterns, in CloudFront's order) has the viewer-request function becomes a Lambda@Edge
  viewer-request event and goes to ``callback_router.handlers.viewer_request_handler``; a
  generated response is sent back, a returned request is forwarded to the origin, like CloudFront
  would; any other request goes straight to the origin;
* the **CloudFront Function front** (``--cff-port``): the same, for a distribution whose callback
  behaviours run the router as a CloudFront Function (:mod:`~tools.local_gateway.cloudfront_function`):
  the request becomes a CloudFront Functions event (``event.request`` with ``method``, ``uri``,
  ``querystring`` object, ``headers``, ``cookies`` and ``rawQueryString()``) and runs through the
  JavaScript the construct generates from the stage's runtime config
  (``junction_callback_router.cloudfront_function.function_code``), in one long-lived ``node``
  process (:class:`tools.cloudfront_function.NodeFunctionRunner`, a ``vm`` context like the
  runtime's); a returned request goes on to the origin, a returned response is written out, an
  exception is CloudFront's ``503``; its ``console.log`` lines are printed like the handlers' logs;
* the **ALB front** (``--alb-port``): an Application Load Balancer listener with the rules
  ``CallbackRouter.add_to_alb`` creates (read from its synthesized template), evaluated in
  priority order with ALB's matching rules (:func:`match_alb_rule`): "bypass" (callback path
  patterns and ``X-Junction-Callback-Router: fallback``) forwards to the company's service;
  "router" (callback path patterns and ``state=eyJ*``, so only JWT-shaped states) invokes
  ``alb_handler`` with an ALB event,
  multi-value headers on (``multiValueHeaders``, ``multiValueQueryStringParameters`` not
  decoded, base64 body); everything else takes the default action, the company's service. The
  function's fallback here is what an ALB deployment uses: ``proxy`` to the ALB itself (this
  front, the stage fallback's path). The replayed request carries the marker header, so the
  bypass rule hands it to the company: a JWT-shaped company state reaches the company once,
  without looping through the router;
* a **company stand-in** (ephemeral port): the company's own OAuth callback. It answers with a
  page that shows what it received (method, path and query, cookies) and records it. It is the
  CloudFront front's origin and the ALB front's default target, and the proxy/redirect fallback
  of the HTTP API front points at it (the stage's own fallback host is not reachable from here;
  mode and path are kept).

**The company's callback as a Lambda function** (``Fallback.invoke``): when the router's fallback
is ``invoke`` (a stage whose ``fallback`` names a ``function_arn``, or any stage with
``--fallback invoke``, ``make run FALLBACK=invoke``), the gateway also starts a local Lambda
Invoke API (:class:`tools.local_lambda.LocalLambda`, ephemeral port) serving the **company
function stand-in** (:class:`CompanyFunctionStandIn`: the stand-in's page, answered in the format
of the event it got) under that ARN (``--fallback invoke`` on a stage without one: a local ARN,
:data:`LOCAL_FUNCTION_ARN`), and sets the router's ``AWS_ENDPOINT_URL_LAMBDA`` and credentials to
it (put back on stop). A company callback then goes front -> router -> ``Invoke`` -> the stand-in
function, and its answer back verbatim. The ALB front's function keeps the ``invoke`` fallback (no
marker-header detour), so the company function gets the router's ALB event, multi-value headers
on; the listener's default action and bypass rule invoke the same function directly, as an ALB
whose company target group is that function would. CloudFront has no fallback: its origin stays
the HTTP stand-in. ``--fallback proxy`` switches a stage the other way; ``--fallback stage`` (the
default) runs the stage's own.

``start_gateway(..., company_service=server)`` puts a real company app behind the fronts instead of
the stand-in (``company_function=handler`` its Lambda shape, the ``invoke`` target, which the HTTP
API front also invokes for the company's other paths), and ``gateway.without_router = True``
serves the same fronts as if no router were deployed (with ``invoke``: the HTTP API and ALB
fronts invoke the company's function themselves with the event they build): the baseline against
which ``tests/e2e/test_transparency.py`` shows the company's own logins untouched.

The handlers read their configuration once, at import, from ``CALLBACK_ROUTER_CONFIG``: the
gateway sets it from ``callback_router_app.stages.load_stage(stage).runtime_json()`` (with the local fallback)
before importing them, exactly what the bundled ``config.json`` would hold. The ALB front's
function differs only in its fallback URL, so it runs its own instance of
``callback_router.api_handlers`` (loaded from the same file with that config): in AWS an ALB
deployment has its own function too.

**What the fronts route is what was synthesized** (:mod:`tools.local_gateway.synthesized`): the
HTTP API route keys, the CloudFront behaviours and the ALB listener rules are read from
CloudFormation templates, never retyped. ``make run`` synthesizes the stage into ``cdk.out/``
first and the gateway reads ``cdk.out/<stack>.template.json`` (``--cdk-out``); without it (tests
start the gateway from a stage object) the stage's stack is synthesized in-process. A front the
stage does not deploy (every stage's ALB, the HTTP API of an edge stage, ...) takes its routing
from a companion stack synthesized in-process from the same stage the way the app or the
construct builds it (``add_stage_stack`` for the stage as shape ``http_api``, ``edge`` or
``cloudfront_function``; a stack
where the stage's ``CallbackRouter`` calls ``add_to_alb``). That is the simplest robust choice:
one reading of templates for every front, the constructs' own code writing every rule, no copy to
drift; asset bundling is skipped (routes do not depend on the code) and the templates are cached
per stage in the process, so a start costs about a second once jsii runs.

The package: one pure emulator per front (:mod:`~tools.local_gateway.http_api`,
:mod:`~tools.local_gateway.rest_api` (REST payload 1.0, not served on a port),
:mod:`~tools.local_gateway.cloudfront`, :mod:`~tools.local_gateway.alb`: from a request
description to an event, from a handler answer to an HTTP answer, no sockets), the stand-ins
(:mod:`~tools.local_gateway.standins`), the fronts' HTTP clients (:mod:`~tools.local_gateway.upstream`),
the local runtime configs (:mod:`~tools.local_gateway.runtime`), the servers
(:mod:`~tools.local_gateway.server`) and the command line (:mod:`~tools.local_gateway.cli`).

Tests and the load generator use :func:`start_gateway` / :class:`LocalGateway`, the very code
``make run`` runs. The handler modules hold process-wide state (config, Powertools resolvers
and metrics), so one gateway runs per process at a time, and handler calls are serialized, as in
one warm Lambda container. (So on the ALB front a replay that re-entered the router, which the
bypass rule prevents, would wait for the first call and end as the fallback's timeout, a 502.)
"""

from __future__ import annotations

from tools.local_gateway.alb import (
    AlbRule,
    alb_answer,
    alb_event,
    alb_query_pairs,
    alb_request_headers,
    alb_wildcard_match,
    match_alb_rule,
    rules_from_template,
)
from tools.local_gateway.cli import banner, main, mint_link_token, sample_provider
from tools.local_gateway.cloudfront import Behaviour, generated_answer, select_behaviour, viewer_request_event
from tools.local_gateway.cloudfront_function import function_outcome, function_request
from tools.local_gateway.http_api import HttpRoute, http_api_answer, http_api_event, select_route
from tools.local_gateway.invocation import FakeLambdaContext
from tools.local_gateway.rest_api import rest_api_answer, rest_api_event
from tools.local_gateway.runtime import (
    FALLBACK_CHOICES,
    LOCAL_FUNCTION_ARN,
    alb_runtime_config,
    local_runtime_config,
)
from tools.local_gateway.server import FrontServer, LocalGateway, start_gateway
from tools.local_gateway.standins import (
    COMPANY_STAND_IN_COOKIES,
    HOST,
    CompanyFunctionStandIn,
    QuietHandler,
    RecordedRequest,
    StandInServer,
    stand_in_answer,
)
from tools.local_gateway.synthesized import Fronts, alb_rules, synthesized_fronts
from tools.local_gateway.upstream import forward_to_origin, forward_to_target

__all__ = [
    "COMPANY_STAND_IN_COOKIES",
    "FALLBACK_CHOICES",
    "HOST",
    "LOCAL_FUNCTION_ARN",
    "AlbRule",
    "Behaviour",
    "CompanyFunctionStandIn",
    "FakeLambdaContext",
    "FrontServer",
    "Fronts",
    "HttpRoute",
    "LocalGateway",
    "QuietHandler",
    "RecordedRequest",
    "StandInServer",
    "alb_answer",
    "alb_event",
    "alb_query_pairs",
    "alb_request_headers",
    "alb_rules",
    "alb_runtime_config",
    "alb_wildcard_match",
    "banner",
    "forward_to_origin",
    "forward_to_target",
    "function_outcome",
    "function_request",
    "generated_answer",
    "http_api_answer",
    "http_api_event",
    "local_runtime_config",
    "main",
    "match_alb_rule",
    "mint_link_token",
    "rest_api_answer",
    "rest_api_event",
    "rules_from_template",
    "sample_provider",
    "select_behaviour",
    "select_route",
    "stand_in_answer",
    "start_gateway",
    "synthesized_fronts",
    "viewer_request_event",
]
