"""The release files a legal team and a platform team look for, and the one version they all state.

The built distribution itself (metadata, contents, index checks) is tested in test_package.py.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.version import Version

import callback_router
import junction_callback_router

ROOT = Path(__file__).resolve().parents[2]
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
# Keep a Changelog: "## [1.2.3] - 2026-12-04", newest first, under "## [Unreleased]".
RELEASE = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})$", re.MULTILINE)


def releases() -> list[tuple[Version, str]]:
    return [(Version(found["version"]), found["date"]) for found in RELEASE.finditer(CHANGELOG)]


def test_both_import_packages_report_the_newest_changelog_release() -> None:
    newest, _ = releases()[0]
    assert callback_router.__version__ == str(newest)
    assert junction_callback_router.__version__ == str(newest)
    assert "__version__" in junction_callback_router.__all__


def test_changelog_lists_unreleased_then_releases_newest_first() -> None:
    found = releases()
    assert found, "CHANGELOG.md has no '## [X.Y.Z] - YYYY-MM-DD' release"
    assert CHANGELOG.index("## [Unreleased]") < CHANGELOG.index(f"## [{found[0][0]}]")
    versions = [version for version, _ in found]
    dates = [date for _, date in found]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert dates == sorted(dates, reverse=True)


def test_the_version_is_written_in_one_place() -> None:
    """pyproject reads it from callback_router; nothing else spells it out."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "callback_router.__version__"}
    literal = f'"{callback_router.__version__}"'
    spelled = [
        path.relative_to(ROOT)
        for folder in ("lambda", "infra")
        for path in (ROOT / folder).rglob("*.py")
        if literal in path.read_text(encoding="utf-8")
    ]
    assert spelled == [Path("lambda/callback_router/__init__.py")]


def test_license_is_the_apache_2_text() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    words = " ".join(text.split())
    assert words.startswith("Apache License Version 2.0, January 2004 http://www.apache.org/licenses/")
    for section in ("1. Definitions.", "2. Grant of Copyright License.", "3. Grant of Patent License."):
        assert section in words
    assert "END OF TERMS AND CONDITIONS" in words


def test_security_policy_says_how_to_report_privately_and_links_the_threat_model() -> None:
    policy = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    assert "Report a vulnerability" in policy  # GitHub's private vulnerability reporting button
    assert "(docs/SECURITY.md)" in policy
    assert (ROOT / "docs" / "SECURITY.md").is_file()
