"""``RouterConstruct``: what every router front shares, done once.

A front construct (``CallbackRouter``, ``EdgeCallbackRouter``, or a new one) subclasses it and
calls its ``__init__`` with a :class:`~junction_callback_router.options.RouterOptions` and its own
infrastructure props; it gets, in this order:

1. the infrastructure props checked (:mod:`.props`), then :meth:`_check_placement` (e.g. the
   edge's us-east-1), naming the construct and the prop on a mistake;
2. the runtime options validated into one config document by the function's own parser
   (:attr:`document`, :attr:`config`);
3. the deploy guard: a template rule that refuses a placeholder host at deploy time.

Then it builds what is its own (the function and its permissions), and calls the helpers for
what is shared: :meth:`_lambda_runtime`, :meth:`_add_alarms`, :meth:`_add_dashboard`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Self

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from callback_router.core.config import RouterConfig
from junction_callback_router.alarms import add_alarms
from junction_callback_router.nag import RUNTIME_ACKNOWLEDGEMENT, acknowledge
from junction_callback_router.options import ConfigDocument, RouterConfigError, RouterOptions
from junction_callback_router.props import check_props
from junction_callback_router.runtimes import lambda_runtime, normalise_python_version
from junction_callback_router.safety import document_problems, refuse_deployment


class RouterConstruct(Construct):
    """Base of the router constructs: prop checks, config document, deploy guard, runtime, alarms, dashboard.

    Attributes:
        config: the validated runtime configuration.
        document: the config document the function reads (with what was validated).
        alarms: the CloudWatch alarms (empty unless ``alarms=True``).
        dashboard: the CloudWatch dashboard, if any.
    """

    KIND: ClassVar[str] = "RouterConstruct"
    """How errors name the construct: ``"<KIND> '<construct id>'"``."""
    TOKENS_ALLOWED: ClassVar[bool] = True
    """Whether a runtime option may hold a deploy-time value (the config then travels in the environment)."""
    HAS_FALLBACK: ClassVar[bool] = True
    """Whether the front takes a ``fallback`` (an edge front passes other requests on to the origin)."""

    @classmethod
    def from_options(cls, scope: Construct, construct_id: str, options: RouterOptions, **props: Any) -> Self:
        """This construct with the runtime settings ``options`` (shared by several fronts or stages).

        ``props`` are the construct's other keyword props (``python_runtime``, ``alarms``, ...),
        as for its constructor.
        """
        cls._check_options(construct_id, options)
        keywords = options.keywords()
        if not cls.HAS_FALLBACK and keywords.pop("fallback") is not None:
            raise RouterConfigError(
                f"{cls.KIND} '{construct_id}'",
                "fallback",
                "this front has no fallback: CloudFront passes requests that are not Junction's on to the origin",
            )
        return cls(scope, construct_id, **keywords, **props)

    def __init__(
        self, scope: Construct, construct_id: str, options: RouterOptions, **infrastructure_props: Any
    ) -> None:
        """Check the props and validate the options; the subclass builds the rest.

        Raises:
            RouterConfigError: a prop the router cannot run with, named in the message.
        """
        self._check_options(construct_id, options)
        super().__init__(scope, construct_id)
        self._label = f"{self.KIND} '{construct_id}'"
        check_props(self._label, **infrastructure_props)
        self._check_placement()
        self.document: ConfigDocument = options.validate(self._label, tokens_allowed=self.TOKENS_ALLOWED)
        self.config: RouterConfig = self.document.config
        refuse_deployment(self, self._label, document_problems(self.document.literal))
        self.alarms: list[cloudwatch.Alarm] = []
        self.dashboard: cloudwatch.Dashboard | None = None

    @classmethod
    def _check_options(cls, construct_id: str, options: object) -> None:
        if not isinstance(options, RouterOptions):
            raise RouterConfigError(
                f"{cls.KIND} '{construct_id}'", "options", f"must be a RouterOptions, not {type(options).__name__}"
            )

    def _check_placement(self) -> None:
        """Refuse a scope the front cannot be deployed in (raise :class:`RouterConfigError`); default: any."""

    def _lambda_runtime(self, python_runtime: str, *, edge: bool) -> tuple[lambda_.Runtime, str]:
        """The checked Lambda runtime and its ``major.minor`` (warnings go on this construct)."""
        try:
            return lambda_runtime(self, python_runtime, edge=edge), normalise_python_version(python_runtime)
        except ValueError as error:
            raise RouterConfigError(self._label, "python_runtime", str(error)) from None

    def _acknowledge_runtime(self, function: lambda_.Function) -> None:
        """cdk-nag's newest-runtime rule: the runtime is a deliberate setting here."""
        acknowledge(function, "AwsSolutions-L1", RUNTIME_ACKNOWLEDGEMENT)

    def _add_alarms(
        self,
        *,
        enabled: bool,
        topic: sns.ITopic | None,
        function_name: str | None,
        proxy: bool,
        metrics: Sequence[tuple[str, cloudwatch.Metric, str]] = (),
    ) -> list[cloudwatch.Alarm]:
        """The alarms of docs/DEPLOY.md when ``enabled``; a topic without alarms is a mistake.

        ``function_name``: the Lambda function whose ``Errors`` are watched (``None`` for a front
        that is no Lambda function); ``metrics``: the front's own ``(name, metric, description)``.
        """
        if not enabled:
            if topic is not None:
                problem = "set alarms=True as well, or there is nothing to notify"
                raise RouterConfigError(self._label, "alarm_topic", problem)
            return []
        self.alarms = add_alarms(
            self,
            label=self._label,
            function_name=function_name,
            config=self.config,
            proxy=proxy,
            topic=topic,
            metrics=metrics,
        )
        return self.alarms

    def _add_dashboard(
        self, function: lambda_.IFunction, *, edge: bool = False, edge_regions: Sequence[str] | None = None
    ) -> cloudwatch.Dashboard:
        """The router's CloudWatch dashboard (cdk-monitoring-constructs), named uniquely for this construct."""
        # Imported here: only users of dashboards pay for loading cdk-monitoring-constructs.
        from junction_callback_router.monitoring import add_router_dashboard, dashboard_name

        self.dashboard = add_router_dashboard(
            self,
            "Dashboard",
            function=function,
            service=self.config.service,
            metrics_namespace=self.config.metrics_namespace,
            dashboard_name=dashboard_name(self),
            edge=edge,
            edge_regions=edge_regions,
        )
        return self.dashboard
