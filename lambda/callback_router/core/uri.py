"""Building header-safe URIs without re-encoding what was already valid.

Junction's rule is to forward the query string exactly as received. We honour it for every
character a URI may contain (RFC 3986 section 2: unreserved, reserved and ``%``) and
percent-encode only what may not appear in a URI at all (controls, CR, LF, space, ``"``,
``<``, ``>``, ``\\``, ``^``, backtick, ``{``, ``|``, ``}``, DEL, non-ASCII) plus ``#``,
which would end the query and start a fragment. The result is always safe in a
``Location`` header: nothing can split the header or inject another one.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, unquote

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


def encode_query_pairs(pairs: Iterable[tuple[str, str | None]]) -> str:
    """Encode already-decoded key/value pairs once (API Gateway REST API, payload 1.0).

    Payload 1.0 only carries decoded values, so the original bytes are gone; this keeps every
    key and value and encodes each once, the way ``application/x-www-form-urlencoded`` would,
    except that a space becomes ``%20`` (unambiguous for every OAuth server). A ``None`` value
    (how a hand-made event may spell a key sent without ``=``) is written as the bare key.
    """
    return "&".join(
        quote(key, safe="") if value is None else f"{quote(key, safe='')}={quote(value, safe='')}"
        for key, value in pairs
    )


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """The query's key/value pairs, as a browser's ``URLSearchParams`` reads them.

    The WHATWG ``application/x-www-form-urlencoded`` parser
    (https://url.spec.whatwg.org/#urlencoded-parsing): split on ``&``, skip empty parts, split
    each at its first ``=`` (no ``=``: the value is empty), ``+`` is a space, then
    percent-decode the bytes (a ``%`` not followed by two hex digits stays as it is) and read
    them as UTF-8, an invalid sequence becoming U+FFFD. So ``st%61te`` and ``%73tate`` are
    ``state``, and ``?state&code=1`` carries one, empty, ``state``. ``urllib.parse.parse_qsl``
    with ``keep_blank_values=True`` agrees, except on a lone surrogate in the input (only a
    hand-made event can hold one), which this reads as U+FFFD, as a browser would.
    """
    return [(_form_decode(key), _form_decode(value)) for key, value in _raw_pairs(raw_query)]


def query_values(raw_query: str, name: str) -> list[str]:
    """Every value of ``name`` in a raw query string, decoded, in order: the values
    :func:`query_pairs` gives for that name, however the key was spelt.

    Every front reads ``state`` with this, from the very query it would forward, so a query the
    router forwards can never hold a second ``state`` it did not see.
    """
    values = []
    for part in raw_query.split("&"):
        key, _, value = part.partition("=")
        # Same result as filtering query_pairs, cheaper (this runs on every edge request): a
        # plain ASCII key without '%' or '+' decodes to itself, and other keys' values are skipped.
        if part and (key == name or "%" in key or "+" in key or not key.isascii()) and _form_decode(key) == name:
            values.append(_form_decode(value))
    return values


def _raw_pairs(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


def _form_decode(text: str) -> str:
    """One key or value: ``+`` is a space, then percent-decoding of UTF-8 bytes with U+FFFD."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" in text:
        text = unquote(text, errors="replace")  # keeps a '%' that starts no valid escape
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: not a Unicode scalar value
        return "".join("\ufffd" if "\ud800" <= char <= "\udfff" else char for char in text)
    return text
