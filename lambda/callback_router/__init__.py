"""Junction BYOO callback router: sends Junction's OAuth callbacks on to Junction.

Entry points are in :mod:`callback_router.handlers`. This package file stays empty of imports
so that a Lambda@Edge cold start loads only what the viewer-request handler needs.
"""

# The one place the version is written: pyproject.toml reads it (`[tool.setuptools.dynamic]`),
# junction_callback_router re-exports it, and CHANGELOG.md's newest release must match it
# (tests/infra/test_release.py). A plain literal, so reading it imports nothing.
__version__ = "0.2.0"
