"""What a network fallback's client costs at init on its own, for the init target of issue 15.

The API function's init target is 0.35x the naive build's with a ``redirect`` or ``reject``
fallback, and that plus its network client with ``proxy`` or ``invoke``: the TLS context and
the HTTP client the fallback needs, measured here alone, in fresh processes of the same run
(``benchmarks/lambda_model.py``), from the shipped asset of the stage that uses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.lambda_model import ModelVariant

MEMORY_MB = 128
CLIENTS = {
    "proxy": "h11, sockets and the TLS context (the proxy fallback's HTTP client)",
    "invoke": "`fallbacks.lambda_client` and the TLS context (the invoke fallback's Lambda client)",
}
_BUILD_TLS = "from callback_router.fallbacks.tls import tls_context\ntls_context()\n"
_IMPORTS = {
    "proxy": "import socket, zlib\nimport h11\n",
    "invoke": "import callback_router.fallbacks.lambda_client\n",
}
_PROBE = """
import sys
sys.path.insert(0, {asset!r})
{imports}{tls}
def handler(event, context):
    return None
"""


def client_cost_key(mode: str) -> str:
    """Key of one client's figure in the model's results."""
    return f"network client alone ({mode})|{MEMORY_MB}"


def network_client_variants(assets: dict[str, Path], scratch: Path) -> list[ModelVariant]:
    """One model variant per network fallback: a probe whose init is only that fallback's client,
    imported from the shipped asset of a stage with that fallback (``api-proxy+pyc``,
    ``api-invoke+pyc``)."""
    variants = []
    for mode in CLIENTS:
        module = f"network_client_{mode}"
        source = _PROBE.format(asset=str(assets[f"api-{mode}+pyc"]), imports=_IMPORTS[mode], tls=_BUILD_TLS)
        (scratch / f"{module}.py").write_text(source, encoding="utf-8")
        event: dict[str, Any] = {}
        variants.append(
            ModelVariant(
                name=client_cost_key(mode),
                asset=scratch,
                module=module,
                attr="handler",
                event=event,
                memory_mb=MEMORY_MB,
                expect=None,
                warm_invokes=1,
            )
        )
    return variants
