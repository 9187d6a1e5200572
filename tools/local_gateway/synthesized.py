"""What the local fronts serve, read from synthesized CloudFormation templates, never retyped.

Each front's routing comes from a template the project's own CDK code wrote:

1. **The stage's template.** ``make run`` synthesizes the stage into ``cdk.out/`` first, and the
   gateway reads ``cdk.out/<stack>.template.json`` (:func:`read_stage_template`). Without one (the
   tests start the gateway in-process from a stage object that is in no ``cdk.json``), the stage's
   stack is synthesized in-process by the standalone app's own :func:`add_stage_stack`.
2. **A companion template for each front the stage's template does not hold.** Every local
   gateway serves the three fronts whatever the stage's shape, so the routing of a front the
   stage does not deploy is synthesized in-process, the way the app and the construct would
   build it for this stage: HTTP API routes from the stage as shape ``http_api``
   (``add_to_http_api``), CloudFront behaviours from the stage as shape ``edge``
   (``edge_distribution``; origin: a local placeholder), the behaviours that run the CloudFront
   Function from the stage as shape ``cloudfront_function``, ALB listener rules from a small stack
   where ``CallbackRouter`` with the stage's props calls ``add_to_alb`` on an imported listener,
   with an imported company target group (no stage shape has an ALB).

Why synthesize rather than call the constructs' helpers: the template is what CloudFormation gets,
so reading it covers every step between the props and the resources (priorities, condition
order, the behaviour list CloudFront evaluates); nothing here can drift from ``add_to_alb`` or the
distribution. In-process synths skip asset bundling (context ``aws:cdk:bundling-stacks``: none):
routes and rules do not depend on the code, and that keeps a synth under a second or two once
jsii runs. Results are cached per stage document in the process, so tests that start several
gateways for one stage pay once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.local_gateway import alb, cloudfront, http_api, rest_api

if TYPE_CHECKING:
    from aws_cdk import App, Stack

    from callback_router_app.stages import Stage

Template = dict[str, Any]
LOCAL_ORIGIN = "company-origin.local-gateway.test"
"""The origin a companion distribution is built with (never contacted: the gateway's origin is the stand-in)."""
LISTENER_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/company/0123456789abcdef/0123456789abcdef"
)
COMPANY_TARGET_GROUP_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/company/0123456789abcdef"
ALB_STACK = "JunctionCallbackRouterLocalAlb"

READERS: dict[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]] = {
    "http_api": http_api.routes_from_template,
    "alb": alb.rules_from_template,
    "edge": cloudfront.edge_behaviours,
    "cloudfront_function": cloudfront.function_behaviours,
}
"""Each front's reader of a template: its routing, empty when the template has none."""
_CACHE: dict[str, dict[str, Template]] = {}
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Fronts:
    """The routing of every local front, each read from a synthesized template."""

    http_routes: tuple[http_api.HttpRoute, ...]
    """HTTP API route keys (``AWS::ApiGatewayV2::Route``)."""
    alb_rules: tuple[alb.AlbRule, ...]
    """ALB listener rules by priority (``AWS::ElasticLoadBalancingV2::ListenerRule``)."""
    behaviours: tuple[cloudfront.Behaviour, ...]
    """CloudFront cache behaviours in evaluation order (``AWS::CloudFront::Distribution``)."""
    rest_routes: tuple[http_api.HttpRoute, ...] = ()
    """REST API methods (``AWS::ApiGateway::Method``), when the stage's template has them."""
    sources: dict[str, str] = field(default_factory=dict)
    """For each front (``http_api``, ``alb``, ``edge``, ``cloudfront_function``), the template it was read from."""
    function_behaviours: tuple[cloudfront.Behaviour, ...] = ()
    """CloudFront cache behaviours of the distribution that runs the CloudFront Function."""


def fronts_from_templates(templates: Mapping[str, Template]) -> Fronts:
    """The fronts' routing from named templates: ``"stage"`` first, then a companion per missing front.

    ``templates`` maps ``"stage"`` and optionally ``"http_api"``, ``"edge"``, ``"cloudfront_function"``,
    ``"alb"`` (companions) to templates; a front takes the stage's template when it holds that front's resources.

    Raises:
        ValueError: no template holds a front's routing, or a rule cannot be emulated.
    """
    found: dict[str, tuple[Any, ...]] = {}
    sources: dict[str, str] = {}
    with _unreadable_as_value_error():
        for front, read in READERS.items():
            for name in ("stage", front):
                if name in templates and (value := read(templates[name])):
                    found[front], sources[front] = value, name
                    break
            else:
                raise ValueError(f"no synthesized template holds the {front} front's routing")
        rest_routes = rest_api.routes_from_template(templates["stage"])
    return Fronts(
        http_routes=found["http_api"],
        alb_rules=found["alb"],
        behaviours=found["edge"],
        rest_routes=rest_routes,
        sources=sources,
        function_behaviours=found["cloudfront_function"],
    )


def missing_fronts(stage_template: Mapping[str, Any]) -> list[str]:
    """The fronts whose routing the stage's template does not hold (they need a companion template)."""
    with _unreadable_as_value_error():
        return [front for front, read in READERS.items() if not read(stage_template)]


@contextlib.contextmanager
def _unreadable_as_value_error() -> Iterator[None]:
    """A template the readers trip on (a hand-edited ``cdk.out`` can hold anything) is a ``ValueError``."""
    try:
        yield
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(
            f"a template is not one the local fronts can read ({type(error).__name__}: {error})"
        ) from error


def read_stage_template(stage: Stage, template_dir: Path) -> Template | None:
    """The stage's template as ``cdk synth`` wrote it into ``template_dir`` (``cdk.out``), if there is one."""
    path = template_dir / f"{_stack_name(stage)}.template.json"
    if not path.is_file():
        return None
    template: Template = json.loads(path.read_text(encoding="utf-8"))
    return template


def synthesized_fronts(stage: Stage, template_dir: Path | None = None) -> Fronts:
    """The fronts for ``stage``: its template from ``template_dir`` (else synthesized), plus companions."""
    templates: dict[str, Template] = {}
    stage_template = read_stage_template(stage, template_dir) if template_dir is not None else None
    if stage_template is not None:
        templates["stage"] = stage_template
        stage_source = f"{template_dir}/{_stack_name(stage)}.template.json"
    else:
        templates["stage"] = _cached(f"stage:{_stage_key(stage)}", lambda: {"stage": _synth_stage(stage)})["stage"]
        stage_source = f"stack {_stack_name(stage)}, synthesized in-process"
    missing = missing_fronts(templates["stage"])
    if missing:
        key = f"companions:{','.join(missing)}:{_stage_key(stage)}"
        templates.update(_cached(key, lambda: _synth_companions(stage, missing)))
    fronts = fronts_from_templates(templates)
    described = {
        front: stage_source if source == "stage" else f"stage {stage.name!r} as {_COMPANION_TEXT[front]}"
        for front, source in fronts.sources.items()
    }
    return dataclasses.replace(fronts, sources=described)


_COMPANION_TEXT = {
    "http_api": "shape http_api (add_to_http_api), synthesized in-process",
    "edge": "shape edge (edge_distribution), synthesized in-process",
    "cloudfront_function": "shape cloudfront_function (edge_distribution), synthesized in-process",
    "alb": "add_to_alb on an imported listener, synthesized in-process",
}


def alb_rules(stage: Stage, priority: int = alb.ALB_BYPASS_PRIORITY) -> tuple[alb.AlbRule, ...]:
    """The listener rules ``CallbackRouter.add_to_alb`` writes for ``stage`` at ``priority``, read from a synth."""
    key = f"alb:{priority}:{_stage_key(stage)}"
    return alb.rules_from_template(_cached(key, lambda: _synth_companions(stage, ["alb"], priority))["alb"])


# ---------------------------------------------------------------- in-process synthesis


def _stack_name(stage: Stage) -> str:
    return stage.stack_name


def _stage_key(stage: Stage) -> str:
    return json.dumps([stage.name, stage.shape, stage.runtime, stage.infra], sort_keys=True, default=str)


def _cached(key: str, build: Callable[[], dict[str, Template]]) -> dict[str, Template]:
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = build()
        return _CACHE[key]


def _synthesize(build: Callable[[App], dict[str, Stack]]) -> dict[str, Template]:
    """Build stacks in a fresh app (cdk.json's feature flags, no asset bundling), synthesize, return their templates."""
    from aws_cdk import App

    from callback_router_app.stages import CDK_JSON

    context = {
        key: value
        for key, value in json.loads(CDK_JSON.read_text(encoding="utf-8")).get("context", {}).items()
        if key not in ("stage", "stages")
    }
    context["aws:cdk:bundling-stacks"] = []  # routes and rules do not depend on the code: skip building it
    # CDK prints each stack's annotations (bytecode, imported target group, ...) on stderr: they are
    # about deploying these stacks, which nobody does; shown only if the synth fails.
    printed = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="local-gateway-synth-") as outdir:
        try:
            with contextlib.redirect_stderr(printed), contextlib.redirect_stdout(printed):
                app = App(outdir=outdir, context=context)
                stacks = build(app)
                assembly = app.synth()
                return {
                    name: dict(assembly.get_stack_artifact(item.artifact_id).template) for name, item in stacks.items()
                }
        except Exception:
            sys.stderr.write(printed.getvalue())
            raise


def _synth_stage(stage: Stage) -> Template:
    from callback_router_app.stacks import add_stage_stack

    return _synthesize(lambda app: {"stage": add_stage_stack(app, stage, environ={})})["stage"]


def _synth_companions(stage: Stage, fronts: list[str], priority: int = alb.ALB_BYPASS_PRIORITY) -> dict[str, Template]:
    from callback_router_app.stacks import add_stage_stack

    def build(app: App) -> dict[str, Stack]:
        stacks: dict[str, Stack] = {}
        if "http_api" in fronts:
            as_http_api = dataclasses.replace(stage, name=f"{stage.name}-local-http-api", shape="http_api")
            stacks["http_api"] = add_stage_stack(app, as_http_api, environ={})
        infra = {**stage.infra, "origin_domain_name": LOCAL_ORIGIN, "region": "us-east-1"}
        if "edge" in fronts:
            as_edge = dataclasses.replace(stage, name=f"{stage.name}-local-edge", shape="edge", infra=infra)
            stacks["edge"] = add_stage_stack(app, as_edge, environ={})
        if "cloudfront_function" in fronts:
            name = f"{stage.name}-local-cloudfront-function"
            as_function = dataclasses.replace(stage, name=name, shape="cloudfront_function", infra=infra)
            stacks["cloudfront_function"] = add_stage_stack(app, as_function, environ={})
        if "alb" in fronts:
            stacks["alb"] = _alb_stack(app, stage, priority)
        return stacks

    return _synthesize(build)


def _alb_stack(app: App, stage: Stage, priority: int) -> Stack:
    """A stack where the stage's ``CallbackRouter`` calls ``add_to_alb`` on an imported listener."""
    from aws_cdk import Environment, Stack
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_elasticloadbalancingv2 as elbv2

    from callback_router_app.stacks import router_options, router_props, stage_fallback
    from junction_callback_router.router import CallbackRouter

    stack = Stack(app, ALB_STACK, env=Environment(account="123456789012", region="us-east-1"))
    listener = elbv2.ApplicationListener.from_application_listener_attributes(
        stack,
        "Listener",
        listener_arn=LISTENER_ARN,
        security_group=ec2.SecurityGroup.from_security_group_id(stack, "ListenerSecurityGroup", "sg-0123456789abcdef0"),
    )
    company = elbv2.ApplicationTargetGroup.from_target_group_attributes(
        stack, "CompanyTargets", target_group_arn=COMPANY_TARGET_GROUP_ARN
    )
    options = router_options(stage, stage_fallback(stage, stack))
    router = CallbackRouter.from_options(stack, "Router", options, **router_props(stage))
    router.add_to_alb(listener, priority=priority, company_target_group=company)
    return stack
