"""The Python runtime is a checked choice: refused past Lambda's dates, warned about near them."""

from __future__ import annotations

from datetime import date

import pytest
from aws_cdk import aws_lambda as lambda_

from junction_callback_router.runtimes import (
    DEFAULT_PYTHON_VERSION,
    EDGE_PYTHON_VERSIONS,
    LAMBDA_PYTHON_RUNTIMES,
    PythonRuntimeError,
    bytecode_matches,
    check_python_runtime,
)

TODAY = date(2026, 11, 30)
"""The day the runtime tables were read; Python 3.10's "block function create" date."""


@pytest.mark.parametrize("edge", [False, True])
def test_default_is_deployable_on_both_fronts_without_warnings(edge: bool) -> None:
    choice = check_python_runtime(DEFAULT_PYTHON_VERSION, edge=edge, today=TODAY)
    assert choice.runtime.name == "python3.12"
    assert choice.warnings == ()


@pytest.mark.parametrize("edge", [False, True])
def test_python_3_10_refused_from_its_block_create_date(edge: bool) -> None:
    with pytest.raises(PythonRuntimeError, match=r"blocks creating python3\.10 functions from 2026-11-30"):
        check_python_runtime("3.10", edge=edge, today=TODAY)


def test_python_3_10_deprecated_but_still_creatable_warns_with_both_dates() -> None:
    choice = check_python_runtime("3.10", edge=False, today=date(2026, 11, 29))
    assert choice.runtime.name == "python3.10"
    (warning,) = choice.warnings
    assert "deprecated since 2026-10-31" in warning
    assert "2026-11-30" in warning


def test_python_3_11_not_warned_on_2026_11_30_seven_months_before_deprecation() -> None:
    # 2027-06-30 minus six calendar months is 2026-12-30: on 2026-11-30 it is seven months away.
    assert check_python_runtime("3.11", edge=False, today=TODAY).warnings == ()
    assert check_python_runtime("3.11", edge=False, today=date(2026, 12, 29)).warnings == ()


@pytest.mark.parametrize("today", [date(2026, 12, 30), date(2027, 6, 29)])
def test_python_3_11_warned_within_six_months_naming_the_deprecation_date(today: date) -> None:
    choice = check_python_runtime("3.11", edge=True, today=today)
    assert choice.runtime.name == "python3.11"
    (warning,) = choice.warnings
    assert "2027-06-30" in warning
    assert "2027-07-31" in warning  # when creation stops


def test_six_month_window_clamps_to_the_end_of_a_shorter_month() -> None:
    # Python 3.12 is deprecated on 2028-10-31; six months earlier is 2028-04-30 (April has 30 days).
    assert check_python_runtime("3.12", edge=False, today=date(2028, 4, 29)).warnings == ()
    assert check_python_runtime("3.12", edge=False, today=date(2028, 4, 30)).warnings != ()


def test_python_3_14_allowed_on_lambda_refused_at_the_edge() -> None:
    assert check_python_runtime("3.14", edge=False, today=TODAY).runtime.name == "python3.14"
    with pytest.raises(PythonRuntimeError, match=r"Lambda@Edge does not list Python 3\.14") as raised:
        check_python_runtime("3.14", edge=True, today=TODAY)
    # What can be picked instead: on both lists and still creatable (3.10 is blocked from today).
    assert "pick one of 3.11, 3.12, 3.13," in str(raised.value)


@pytest.mark.parametrize("version", ["3.9", "4.0", "2.7"])
def test_version_without_a_lambda_runtime_refused(version: str) -> None:
    with pytest.raises(PythonRuntimeError, match=rf"Lambda has no Python {version} runtime"):
        check_python_runtime(version, edge=False, today=TODAY)


@pytest.mark.parametrize("spelling", ["python3.12", " Python3.12 ", "3.12", "03.12"])
def test_runtime_identifier_spelling_normalised(spelling: str) -> None:
    assert check_python_runtime(spelling, edge=True, today=TODAY).version == "3.12"


@pytest.mark.parametrize("spelling", ["3.12.1", "3", "py3.12", "latest", "", "3.12-slim"])
def test_not_a_major_minor_version_refused_with_an_example(spelling: str) -> None:
    with pytest.raises(PythonRuntimeError, match=r"write it as MAJOR\.MINOR, e\.g\. '3\.12'"):
        check_python_runtime(spelling, edge=False, today=TODAY)


def test_refusal_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"4\.0"):
        check_python_runtime("4.0", edge=False, today=TODAY)


def test_every_row_maps_to_the_cdk_runtime_of_the_same_name() -> None:
    for version, support in LAMBDA_PYTHON_RUNTIMES.items():
        assert support.runtime.name == support.identifier == f"python{version}"
        assert support.runtime.family == lambda_.RuntimeFamily.PYTHON
        assert support.deprecation < support.block_create < support.block_update
    assert DEFAULT_PYTHON_VERSION in EDGE_PYTHON_VERSIONS


@pytest.mark.parametrize(
    ("runtime", "interpreter", "expected"),
    [
        ("3.12", (3, 12, 7, "final", 0), True),
        ("3.12", (3, 11, 9, "final", 0), False),
        ("3.11", (3, 12), False),
        ("python3.13", (3, 13), True),
        ("3.12", (4, 12), False),
    ],
)
def test_bytecode_ships_only_for_the_same_major_minor(
    runtime: str, interpreter: tuple[int | str, ...], expected: bool
) -> None:
    assert bytecode_matches(runtime, interpreter) is expected


def test_bytecode_rule_defaults_to_the_running_interpreter() -> None:
    import sys

    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    other = "3.12" if running != "3.12" else "3.13"
    assert bytecode_matches(running) is True
    assert bytecode_matches(other) is False
