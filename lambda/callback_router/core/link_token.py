"""Reading the unverified claims of a Junction Link Token.

The Link Token arrives as the OAuth ``state``. Junction's guide says its signature need not be
verified, but its ``aud`` claim must equal an expected Link API base URL: that check is the CSRF
protection. Two readers live here and must agree on every input:

* :func:`read_claims_lean` splits, base64url-decodes and ``json.loads`` by hand, following
  PyJWT's own ``PyJWS._load`` step by step. Every handler uses it (edge, API Gateway, ALB,
  Function URL) because ``import jwt`` pulls ``jwt.jwks_client`` -> ``urllib.request``,
  ``http.client``, ``ssl``: measured ~42 ms of a cold start with ``.pyc`` and ~46 ms without (see
  BENCHMARKS.md), and PyJWT adds to a bundle capped at 1 MB at the edge.
* :func:`read_claims_pyjwt` uses PyJWT (``jwt.decode`` with ``verify_signature=False``): the
  oracle the lean reader is tested against (``tests/unit/test_link_token.py`` proves both equal
  with hypothesis). No handler calls it, and the Lambda assets do not ship PyJWT; ``jwt`` is
  imported on its first call.

Both readers first apply :func:`could_be_jwt`, a cheap shape check, so garbage and ordinary
OAuth ``state`` values cost no decoding at all.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

JWS_HEADER_PREFIX = "eyJ"
"""The base64url of ``{"``: how every compact JWS whose header is a JSON object starts."""
DEFAULT_MAX_STATE_LENGTH = 4096
"""Longest ``state`` we are willing to parse; real Link Tokens are a few hundred bytes."""

_BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"  # RFC 4648 section 5
_BASE64URL = frozenset(_BASE64URL_ALPHABET)

Claims = dict[str, Any]


def could_be_jwt(state: str, max_length: int = DEFAULT_MAX_STATE_LENGTH) -> bool:
    """Cheap shape check: three base64url segments, a JSON-object header, within the cap.

    A JWS compact serialization is ``header.payload.signature``, each base64url without
    padding (RFC 7515 section 7.1). The header is a JSON object, so its encoding starts with
    ``eyJ`` (``{"``) in every token PyJWT or any other mainstream library writes.
    """
    if len(state) > max_length or state.count(".") != 2 or not state.startswith(JWS_HEADER_PREFIX):
        return False
    return _BASE64URL.issuperset(state.replace(".", ""))


def read_claims_pyjwt(state: str, max_length: int = DEFAULT_MAX_STATE_LENGTH) -> Claims | None:
    """Return the unverified claims of ``state`` read with PyJWT, or ``None`` if not a JWT."""
    if not could_be_jwt(state, max_length):
        return None
    import jwt  # on first call: no handler imports PyJWT (module docstring)

    try:
        claims: Claims = jwt.decode(state, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    return claims


_SIXTET = {char: index for index, char in enumerate(_BASE64URL_ALPHABET)}


def _canonical(segment: str) -> bool:
    # PyJWT 2.15 (PyJWS._decode_base64url_segment) refuses a length of 4n+1 and any encoding that
    # does not round-trip, i.e. whose last character carries set bits past the data. Checking
    # those bits directly is the same test without decoding (the alphabet is already checked).
    remainder = len(segment) % 4
    if remainder == 1:
        return False
    if remainder == 0:
        return True
    return _SIXTET[segment[-1]] % (16 if remainder == 2 else 4) == 0


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _header_acceptable(header: dict[str, Any]) -> bool:
    # PyJWS._validate_headers and decode_complete: a string "kid"; "crit" a non-empty list of
    # supported extensions (only "b64") each present in the header; "b64": false means a
    # detached payload, which is never a claim set here.
    if "kid" in header and not isinstance(header["kid"], str):
        return False
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit or any(ext != "b64" or ext not in header for ext in crit):
            return False
    return header.get("b64", True) is not False


def read_claims_lean(state: str, max_length: int = DEFAULT_MAX_STATE_LENGTH) -> Claims | None:
    """Return the unverified claims of ``state`` decoded by hand, or ``None`` if not a JWT.

    Mirrors PyJWT 2.15 ``PyJWS._load``, ``_validate_headers`` and ``PyJWT._decode_payload`` with
    ``verify_signature=False``: every segment canonical base64url; the header a JSON object with
    a string ``kid`` and a valid ``crit`` if present; a ``"b64": false`` header means a detached
    (empty) payload, which is not a claim set; the payload a JSON object.
    """
    if not could_be_jwt(state, max_length):
        return None
    segments = state.split(".")
    if not all(map(_canonical, segments)):
        return None
    header_segment, payload_segment, _signature = segments  # the signature is never checked
    try:
        header = json.loads(_b64url(header_segment))
        if not isinstance(header, dict) or not _header_acceptable(header):
            return None
        payload = json.loads(_b64url(payload_segment))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def audiences(claims: Claims) -> tuple[str, ...]:
    """The ``aud`` claim as a tuple of strings (RFC 7519 4.1.3: a string or array of strings)."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list):
        return tuple(item for item in aud if isinstance(item, str))
    return ()
