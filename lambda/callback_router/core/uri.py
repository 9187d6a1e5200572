"""Building header-safe URIs without re-encoding what was already valid.

Junction's rule is to forward the query string exactly as received. We honour it for every
character a URI may contain (RFC 3986 section 2: unreserved, reserved and ``%``) and
percent-encode only what may not appear in a URI at all (controls, CR, LF, space, ``"``,
``<``, ``>``, ``\\``, ``^``, backtick, ``{``, ``|``, ``}``, DEL, non-ASCII) plus ``#``,
which would end the query and start a fragment. The result is always safe in a
``Location`` header: nothing can split the header or inject another one.
"""

from __future__ import annotations

from urllib.parse import quote, unquote_plus

_URI_QUERY_SAFE = "-._~" + ":/?[]@" + "!$&'()*+,;=" + "%"
"""RFC 3986 characters kept byte for byte in a forwarded query (``#`` deliberately absent)."""

_ALLOWED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + _URI_QUERY_SAFE)


def escape_query(raw_query: str) -> str:
    """Percent-encode the characters of ``raw_query`` that are not allowed in a URI query.

    Everything else, including existing ``%XX`` escapes, ``&``, ``=`` and ``+``, is kept as
    received, so a signed ``state`` arrives at Junction unmodified.
    """
    if _ALLOWED.issuperset(raw_query):
        return raw_query
    return quote(raw_query, safe=_URI_QUERY_SAFE)


_URI_PATH_SAFE = "-._~" + ":@/" + "!$&'()*+,;=" + "%"
"""RFC 3986 ``pchar`` and ``/``: a path kept byte for byte (``?`` and ``#`` would end it)."""


def escape_path(raw_path: str) -> str:
    """``raw_path`` with what may not appear in a URI path percent-encoded, the rest as received."""
    return quote(raw_path, safe=_URI_PATH_SAFE)


def with_query(base: str, raw_query: str) -> str:
    """``base`` plus ``?`` and the escaped query; no ``?`` when the query is empty."""
    return f"{base}?{escape_query(raw_query)}" if raw_query else base


def encode_query_pairs(pairs: list[tuple[str, str]]) -> str:
    """Encode already-decoded key/value pairs once (API Gateway REST API, payload 1.0).

    Payload 1.0 only carries decoded values, so the original bytes are gone; this keeps every
    key and value and encodes each once, the way ``application/x-www-form-urlencoded`` would,
    except that a space becomes ``%20`` (unambiguous for every OAuth server).
    """
    return "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in pairs)


def query_values(raw_query: str, name: str) -> list[str]:
    """Every value of ``name`` in a raw query string, decoded, in order.

    Only exact ``name=`` keys count: a key spelt with percent-escapes is another parameter
    (and so the request is not treated as a Junction callback).
    """
    prefix = name + "="
    return [unquote_plus(part[len(prefix) :]) for part in raw_query.split("&") if part.startswith(prefix)]
