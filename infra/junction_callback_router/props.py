"""The constructs' infrastructure props (not runtime settings), each checked here and nowhere else.

Runtime settings are checked by the function's own parser (:mod:`.options`); these describe the
function around it: its runtime, memory, logs, alarms. A ``cdk.json`` stage has the same keys
(``callback_router_app.stages`` asks :func:`prop_problem` too), so a stage and a construct refuse a
value with the same words.
"""

from __future__ import annotations

from aws_cdk import aws_logs as logs

from junction_callback_router.defaults import MEMORY_BOUNDS
from junction_callback_router.options import RouterConfigError

FLAGS = frozenset({"config_in_environment", "snap_start", "alarms", "dashboard"})
"""The props that are True or False."""


def prop_problem(key: str, value: object) -> str | None:
    """What is wrong with ``value`` for the infrastructure prop ``key``, or ``None``."""
    if key == "log_retention" and not isinstance(value, logs.RetentionDays):
        return f"must be an aws_logs.RetentionDays (e.g. THREE_MONTHS), not {value!r}"
    if key == "python_runtime" and not isinstance(value, str):
        return f'must be a string such as "3.12", not {value!r}'
    if key == "memory_size":
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number of MB"
        if not MEMORY_BOUNDS[0] <= value <= MEMORY_BOUNDS[1]:
            return f"must be from {MEMORY_BOUNDS[0]} to {MEMORY_BOUNDS[1]} MB"
    if key in FLAGS and not isinstance(value, bool):
        return f"must be True or False, not {value!r}"
    return None


def check_props(label: str, **props: object) -> None:
    """Refuse a wrong infrastructure prop with the construct and the prop in the message.

    jsii checks types too, but deep inside CDK and without saying which construct or prop.
    """
    for key, value in props.items():
        problem = prop_problem(key, value)
        if problem is not None:
            raise RouterConfigError(label, key, problem)
