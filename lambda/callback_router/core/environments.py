"""Junction environments and their Link API base URLs (the token ``aud`` values).

Sources: docs.junction.com, "Sharing Credentials" (the ``tryvital.io`` hosts) and the API
reference, which says the ``tryvital.io`` hosts "are still supported alongside" the newer
``junction.com`` ones. Both families belong to Junction, so each environment accepts both; the
redirect always goes to the configured URL that matched, never to text taken from the token.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

JUNCTION_ENVIRONMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "production-us": (
            "https://api.tryvital.io/v2/link",
            "https://api.us.junction.com/v2/link",
        ),
        "production-eu": (
            "https://api.eu.tryvital.io/v2/link",
            "https://api.eu.junction.com/v2/link",
        ),
        "sandbox-us": (
            "https://api.sandbox.tryvital.io/v2/link",
            "https://api.sandbox.us.junction.com/v2/link",
        ),
        "sandbox-eu": (
            "https://api.sandbox.eu.tryvital.io/v2/link",
            "https://api.sandbox.eu.junction.com/v2/link",
        ),
    }
)
"""Every documented Junction environment, by name, with its Link API base URLs."""

KNOWN_JUNCTION_BASE_URLS: Mapping[str, str] = MappingProxyType(
    {url: name for name, urls in JUNCTION_ENVIRONMENTS.items() for url in urls}
)
"""Reverse index: documented base URL -> environment name (to spot foreign environments)."""

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts for which ``http://`` is allowed in ``extra_environments`` (local stand-ins)."""


def is_production(name: str) -> bool:
    """Whether an environment name denotes production traffic."""
    return name.startswith("production")


def is_sandbox(name: str) -> bool:
    """Whether an environment name denotes sandbox traffic."""
    return name.startswith("sandbox")
