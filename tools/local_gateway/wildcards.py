"""The ``*`` / ``?`` wildcard matching that ALB listener rules and CloudFront path patterns share."""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str, case_sensitive: bool, escapes: bool) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if escapes and char == "\\" and pattern[index + 1 : index + 2] in ("*", "?"):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def wildcard_match(pattern: str, text: str, *, case_sensitive: bool, escapes: bool = False) -> bool:
    """The whole ``text`` against ``pattern``: ``*`` is 0 or more characters (``/`` included), ``?`` exactly 1.

    ``escapes``: ``\\*`` and ``\\?`` stand for a literal ``*`` / ``?``.
    """
    return _compiled(pattern, case_sensitive, escapes).fullmatch(text) is not None
