"""One home per concept: no module of the product grows past 600 lines (issue 15).

A file that long has always turned out to hold several jobs (``common.py`` did seven, the local
gateway was one 1,193-line file); splitting by job is cheaper before it happens than after.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 600
SOURCES = ("*.py", "*.js", "*.cjs")


def test_no_module_under_lambda_infra_or_tools_is_over_600_lines():
    sizes = {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for folder in ("lambda", "infra", "tools")
        for pattern in SOURCES
        for path in (ROOT / folder).rglob(pattern)
        if "__pycache__" not in path.parts and "node_modules" not in path.parts
    }
    assert len(sizes) > 50  # the walk found the product
    assert {name: lines for name, lines in sizes.items() if lines > LIMIT} == {}
