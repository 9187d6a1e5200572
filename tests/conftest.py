"""Fixtures shared by every test package (the helpers themselves live in :mod:`tests.support`)."""

from __future__ import annotations

import pytest
from hypothesis import settings

from tests.support.contexts import LambdaContext

# `make mutation` (docs/MUTATION.md): every mutant meets the same examples, and none is saved for
# the next one. An example found while a mutant is active, replayed against the others from the
# example database, would let one wrong expectation "kill" every mutant after it.
settings.register_profile("mutation", database=None, derandomize=True)


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()
