"""Named deployment stages from ``cdk.json`` (``context.stages``), validated at synth time.

A stage is one JSON object: the router's runtime keys (see
``callback_router.core.config.CONFIG_KEYS``; validated by the very ``parse_config`` the Lambda
runs) plus the infrastructure keys below. The runtime part is what gets bundled as
``config.json``, so one definition drives both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from callback_router.core.config import CONFIG_KEYS, ConfigError, RouterConfig, parse_config

Shape = Literal["http_api", "existing_rest_api", "existing_http_api", "edge", "edge_function"]
SHAPES: tuple[str, ...] = get_args(Shape)
DEFAULT_STAGE = "sandbox"
CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"

SHAPE_REQUIRED_KEYS: Mapping[str, tuple[str, ...]] = {
    "http_api": (),
    "existing_rest_api": ("rest_api_id", "root_resource_id", "stage_name"),
    "existing_http_api": ("http_api_id",),
    "edge": ("origin_domain_name",),
    "edge_function": (),
}
"""Ids each shape needs: the resources it attaches to."""

INFRA_KEYS = frozenset(
    {
        "shape",
        "description",
        "account",
        "region",
        "rest_api_id",
        "root_resource_id",
        "stage_name",
        "http_api_id",
        "origin_domain_name",
        "origin_protocol",
        "distribution_id",
        "alarms",
        "log_retention_days",
        "throttle",
    }
)
EDGE_SHAPES = frozenset({"edge", "edge_function"})


class StageError(ValueError):
    """A stage definition mistake; the message names the stage and the key."""

    def __init__(self, stage: str, key: str, problem: str) -> None:
        super().__init__(f"stage '{stage}': key '{key}': {problem}")
        self.stage, self.key, self.problem = stage, key, problem


@dataclass(frozen=True)
class Stage:
    """One validated stage."""

    name: str
    shape: Shape
    runtime: dict[str, Any]
    """The runtime config document (bundled as ``config.json``)."""
    router: RouterConfig
    infra: dict[str, Any]
    """The infrastructure keys, as written."""

    @property
    def is_edge(self) -> bool:
        """Whether this stage deploys a Lambda@Edge function."""
        return self.shape in EDGE_SHAPES

    def runtime_json(self) -> str:
        """The runtime config document as the bundled ``config.json`` text."""
        return json.dumps(self.runtime, indent=2, sort_keys=True) + "\n"


def parse_stage(name: str, data: Any) -> Stage:
    """Validate one stage object.

    Raises:
        StageError: naming the stage and the key at fault.
    """
    if not isinstance(data, dict):
        raise StageError(name, "(stage)", "must be an object")
    unknown = sorted(set(data) - CONFIG_KEYS - INFRA_KEYS)
    if unknown:
        raise StageError(name, unknown[0], f"unknown key; known: {', '.join(sorted(CONFIG_KEYS | INFRA_KEYS))}")
    shape = data.get("shape", "http_api")
    if shape not in SHAPES:
        raise StageError(name, "shape", f"{shape!r} is not one of {', '.join(SHAPES)}")
    for key in SHAPE_REQUIRED_KEYS[shape]:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise StageError(name, key, f"shape {shape!r} needs {key} (the id of the resource to attach to)")
    if shape in EDGE_SHAPES and "fallback" in data:
        raise StageError(
            name,
            "fallback",
            f"shape {shape!r} has no fallback: CloudFront passes non-Junction requests on to the origin",
        )
    runtime = {key: value for key, value in data.items() if key in CONFIG_KEYS}
    try:
        router = parse_config(runtime)
    except ConfigError as error:
        raise StageError(name, error.key, error.problem) from None
    infra = {key: value for key, value in data.items() if key in INFRA_KEYS}
    return Stage(name=name, shape=shape, runtime=runtime, router=router, infra=infra)


def stages_from_context(stages: Any) -> dict[str, Any]:
    """The raw ``context.stages`` object, checked to be a mapping of names to objects."""
    if not isinstance(stages, dict) or not stages:
        raise StageError("(all)", "context.stages", "cdk.json must define at least one stage under context.stages")
    return stages


def load_stage(name: str = DEFAULT_STAGE, cdk_json: Path = CDK_JSON) -> Stage:
    """Read ``cdk.json`` and return the validated stage ``name``."""
    context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    stages = stages_from_context(context.get("stages"))
    if name not in stages:
        raise StageError(name, "stage", f"no such stage in cdk.json; stages: {', '.join(sorted(stages))}")
    return parse_stage(name, stages[name])
