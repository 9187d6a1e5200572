"""Fixtures shared by every test package (the helpers themselves live in :mod:`tests.support`)."""

from __future__ import annotations

import pytest

from tests.support.contexts import LambdaContext


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()
