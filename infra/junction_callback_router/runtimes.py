"""A deliberate Python runtime for the router's Lambda functions, checked against AWS's tables.

Without this the runtime would be whatever Python runs ``cdk synth``: two operators on different
interpreters would deploy different runtimes (and assets). Here the runtime is a setting
(``"3.12"``, :data:`DEFAULT_PYTHON_VERSION` when unset), checked at synth time against

* Lambda's Python runtime table (:data:`LAMBDA_PYTHON_RUNTIMES`): AWS Lambda Developer Guide,
  "Lambda runtimes" / "Building Lambda functions with Python"
  (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html), read 2026-11-30;
* Lambda@Edge's own list (:data:`EDGE_PYTHON_VERSIONS`): CloudFront Developer Guide,
  "Restrictions on Lambda@Edge" / "Supported runtimes"
  (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-at-edge-function-restrictions.html).

and refused when Lambda no longer creates functions with it, warned about when its deprecation
is less than six months away.

Bytecode: a ``.pyc`` is only valid for the interpreter version that wrote it (:func:`bytecode_matches`),
so bundling has it written by an interpreter of the runtime's version (``interpreters.py``).
"""

from __future__ import annotations

import re
import sys
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from aws_cdk import Annotations
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, IConstruct

from junction_callback_router.interpreters import find_interpreter, fix_hint

__all__ = [
    "DEFAULT_PYTHON_VERSION",
    "EDGE_PYTHON_VERSIONS",
    "LAMBDA_PYTHON_RUNTIMES",
    "NO_BYTECODE_WARNING",
    "WARN_MONTHS_BEFORE_DEPRECATION",
    "PythonRuntimeError",
    "RuntimeChoice",
    "RuntimeSupport",
    "bytecode_matches",
    "check_python_runtime",
    "lambda_runtime",
    "normalise_python_version",
]


@dataclass(frozen=True)
class RuntimeSupport:
    """One row of Lambda's runtime table: the three dates of a runtime's end of life.

    After ``deprecation`` Lambda stops patching the runtime; from ``block_create`` it refuses
    new functions with it (a new stage, or a replaced function, fails to deploy); from
    ``block_update`` it refuses updates to existing functions too.
    """

    identifier: str
    deprecation: date
    block_create: date
    block_update: date
    runtime: lambda_.Runtime


# AWS Lambda Developer Guide, "Lambda runtimes", supported runtimes table, read 2026-11-30
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). Runtimes that left this
# table earlier (3.9 and older) are refused as unknown: Lambda no longer creates them.
LAMBDA_PYTHON_RUNTIMES: dict[str, RuntimeSupport] = {
    "3.14": RuntimeSupport(
        "python3.14", date(2029, 6, 30), date(2029, 7, 31), date(2029, 8, 31), lambda_.Runtime.PYTHON_3_14
    ),
    "3.13": RuntimeSupport(
        "python3.13", date(2029, 6, 30), date(2029, 7, 31), date(2029, 8, 31), lambda_.Runtime.PYTHON_3_13
    ),
    "3.12": RuntimeSupport(
        "python3.12", date(2028, 10, 31), date(2028, 11, 30), date(2029, 1, 10), lambda_.Runtime.PYTHON_3_12
    ),
    "3.11": RuntimeSupport(
        "python3.11", date(2027, 6, 30), date(2027, 7, 31), date(2027, 8, 31), lambda_.Runtime.PYTHON_3_11
    ),
    "3.10": RuntimeSupport(
        "python3.10", date(2026, 10, 31), date(2026, 11, 30), date(2027, 1, 15), lambda_.Runtime.PYTHON_3_10
    ),
}

# CloudFront Developer Guide, "Restrictions on Lambda@Edge", "Supported runtimes"
# (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-at-edge-function-restrictions.html).
# The stored copies of that page list Python 3.7 to 3.13 (older copies stop at 3.12); one later
# copy only says "the latest versions" and points to Lambda's table. Until a copy lists 3.14,
# 3.14 is refused at the edge: a runtime CloudFront rejects fails the deploy (or the attach)
# after the function exists, which is worse than a synth error.
EDGE_PYTHON_VERSIONS: frozenset[str] = frozenset({"3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"})

# 3.12: listed by Lambda and by every stored copy of the Lambda@Edge page (3.13 only by the newer
# ones), deprecation 2028-10-31, 23 months after 2026-11-30; Powertools supports it. One default
# for every shape, so an API stage and an edge stage run the same interpreter.
DEFAULT_PYTHON_VERSION = "3.12"

WARN_MONTHS_BEFORE_DEPRECATION = 6
"""Warn about a runtime whose deprecation is at most this many calendar months away."""

_VERSION = re.compile(r"(?:python)?(\d+)\.(\d+)")


class PythonRuntimeError(ValueError):
    """The requested Python runtime cannot be deployed; the message says why and what to pick."""


@dataclass(frozen=True)
class RuntimeChoice:
    """A checked runtime: the CDK runtime, its ``"3.12"``-style version and any warnings."""

    version: str
    runtime: lambda_.Runtime
    support: RuntimeSupport
    warnings: tuple[str, ...] = ()


def normalise_python_version(version: str) -> str:
    """``"3.12"`` from ``"3.12"``, ``"python3.12"`` or ``" Python3.12 "``; refuse anything else.

    A patch version (``"3.12.1"``) is refused: Lambda picks the patch release, not the deployer.
    """
    text = version.strip().lower()
    match = _VERSION.fullmatch(text)
    if match is None:
        raise PythonRuntimeError(
            f"python_runtime {version!r} is not a Python version: write it as MAJOR.MINOR, e.g. "
            f"{DEFAULT_PYTHON_VERSION!r} (Lambda chooses the patch release)"
        )
    return f"{int(match.group(1))}.{int(match.group(2))}"


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, clamped to the month's last day."""
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def _supported_list(versions: Sequence[str]) -> str:
    return ", ".join(sorted(versions, key=lambda v: tuple(int(p) for p in v.split("."))))


def check_python_runtime(version: str, *, edge: bool, today: date) -> RuntimeChoice:
    """Check ``version`` for a Lambda (``edge=False``) or Lambda@Edge (``edge=True``) function.

    Raises :class:`PythonRuntimeError` when the version is not a ``MAJOR.MINOR`` Python version,
    is not in Lambda's runtime table, is not in Lambda@Edge's list (``edge=True``), or when
    ``today`` is on or after Lambda's "block function create" date (named in the message).
    Returns the runtime with a warning when ``today`` is on or after the deprecation date, or
    within :data:`WARN_MONTHS_BEFORE_DEPRECATION` calendar months of it (date named).
    """
    normalised = normalise_python_version(version)
    support = LAMBDA_PYTHON_RUNTIMES.get(normalised)
    if support is None:
        raise PythonRuntimeError(
            f"python_runtime {version!r}: Lambda has no Python {normalised} runtime to create functions "
            f"with (its table, read 2026-11-30, lists {_supported_list(list(LAMBDA_PYTHON_RUNTIMES))}); "
            f"use {DEFAULT_PYTHON_VERSION!r}"
        )
    if edge and normalised not in EDGE_PYTHON_VERSIONS:
        allowed = [
            v for v, row in LAMBDA_PYTHON_RUNTIMES.items() if v in EDGE_PYTHON_VERSIONS and today < row.block_create
        ]
        raise PythonRuntimeError(
            f"python_runtime {version!r}: Lambda@Edge does not list Python {normalised} among its supported "
            f"runtimes (CloudFront Developer Guide, 'Restrictions on Lambda@Edge'); pick one of "
            f"{_supported_list(allowed)}, e.g. {DEFAULT_PYTHON_VERSION!r}"
        )
    if today >= support.block_create:
        raise PythonRuntimeError(
            f"python_runtime {version!r}: Lambda blocks creating {support.identifier} functions from "
            f"{support.block_create.isoformat()} (deprecated {support.deprecation.isoformat()}, updates blocked "
            f"from {support.block_update.isoformat()}); use {DEFAULT_PYTHON_VERSION!r}"
        )
    warnings: list[str] = []
    if today >= support.deprecation:
        warnings.append(
            f"{support.identifier} is deprecated since {support.deprecation.isoformat()}: Lambda blocks creating "
            f"functions with it from {support.block_create.isoformat()} and updating them from "
            f"{support.block_update.isoformat()}"
        )
    elif today >= _months_before(support.deprecation, WARN_MONTHS_BEFORE_DEPRECATION):
        warnings.append(
            f"{support.identifier} is deprecated on {support.deprecation.isoformat()} (less than "
            f"{WARN_MONTHS_BEFORE_DEPRECATION} months away): Lambda blocks creating functions with it from "
            f"{support.block_create.isoformat()}; plan the move to a newer runtime"
        )
    return RuntimeChoice(version=normalised, runtime=support.runtime, support=support, warnings=tuple(warnings))


def bytecode_matches(runtime_version: str, interpreter: Sequence[int | str] = sys.version_info) -> bool:
    """Whether ``.pyc`` files written by ``interpreter`` load on the ``runtime_version`` runtime.

    Bytecode (and its magic number) changes with every minor version: a ``.pyc`` written by 3.11
    is ignored by 3.12, so bytecode ships only when major and minor are equal.
    """
    major, minor = normalise_python_version(runtime_version).split(".")
    return interpreter[0] == int(major) and interpreter[1] == int(minor)


NO_BYTECODE_WARNING = "junction-callback-router:no-bytecode"


def lambda_runtime(scope: Construct, version: str, *, edge: bool) -> lambda_.Runtime:
    """The checked Lambda runtime for ``version``; a runtime near deprecation, or one that the
    synthesizing Python cannot write bytecode for, warns at synth on ``scope``.

    Raises:
        PythonRuntimeError: the version cannot be deployed (the message says why and what to pick).
    """
    choice = check_python_runtime(version, edge=edge, today=date.today())
    for warning in choice.warnings:
        Annotations.of(scope).add_warning_v2("junction-callback-router:python-runtime", warning)
    lookup = find_interpreter(choice.version)
    if lookup.interpreter is None:
        warn_no_bytecode_once(scope, choice.version, lookup.skipped)
    return choice.runtime


_WARNED_NO_BYTECODE: weakref.WeakKeyDictionary[IConstruct, set[str]] = weakref.WeakKeyDictionary()
"""Per app (its root construct): the runtimes already warned about. One warning a synth, not one a
construct: the fix is the same for every router of the app."""


def warn_no_bytecode_once(scope: Construct, version: str, skipped: Sequence[str] = ()) -> None:
    """Warn, on the first construct of its app that needs it, that no ``.pyc`` ships for ``version``."""
    warned = _WARNED_NO_BYTECODE.setdefault(scope.node.root, set())
    if version in warned:
        return
    warned.add(version)
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    tried = f" ({'; '.join(skipped)})" if skipped else ""
    Annotations.of(scope).add_warning_v2(
        NO_BYTECODE_WARNING,
        f"python_runtime is {version} but this synth runs Python {here} and found no Python {version}{tried}: no "
        ".pyc ships, so every cold start compiles the code (about 2.3x the init of the API function, "
        f"BENCHMARKS.md). Fix: {fix_hint(version)} (then synth again), or set python_runtime='{here}' if Lambda "
        "supports it.",
    )
