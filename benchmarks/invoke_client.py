"""The invoke fallback's Lambda client, for ``make bench``: botocore against the router's own
SigV4 client (``callback_router/fallbacks/lambda_client.py``), under the Lambda model.

Each probe is a module the model (``benchmarks/lambda_model.py``) cold-starts: its init imports
what the router imports anyway (the shipped invoke-stage asset's ``api_handlers``, which also
builds the TLS context at init) plus one client, and each invoke sends an ``Invoke`` to the loopback stand-in
(``tools/local_lambda.py``, HTTPS, signatures verified). ``router-base`` adds no client, so the
difference to it is what a client costs.
"""

from __future__ import annotations

import site
from pathlib import Path
from typing import Any

from benchmarks.lambda_model import ModelResult, ModelVariant, cpu_share

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:company"
"""The company's callback function, as the bench's invoke stage names it."""
MEMORY_SIZES = (128, 1769)
EXPECT = "'statusCode': 200"
CLIENTS = {
    "router-base": "the router's init, no Lambda client",
    "own": "the router's own signer (`fallbacks.lambda_client`)",
    "botocore": "botocore, `create_client` at init",
}

_BASE = """
import sys
sys.path[:0] = {paths!r}
# The invoke stage's router: its init loads the invoke fallback (http.client, the signer) and
# builds the TLS context for the Lambda endpoint, whichever client then uses it.
import callback_router.api_handlers
"""
_CLIENT = {
    "router-base": """
def handler(event, context):
    return {"statusCode": 200}
""",
    "own": f"""
from callback_router.fallbacks.lambda_client import invoke
def handler(event, context):
    return invoke({FUNCTION_ARN!r}, b'{{"k": "v"}}', 5.0)
""",
    "botocore": f"""
import botocore.session
client = botocore.session.get_session().create_client("lambda", region_name="us-east-1")
def handler(event, context):
    answer = client.invoke(FunctionName={FUNCTION_ARN!r}, Payload=b'{{"k": "v"}}')
    return __import__("json").loads(answer["Payload"].read())
""",
}


def client_key(client: str, memory: int) -> str:
    """Key of one client figure in the model's results."""
    return f"invoke client {client}|{memory}"


def client_variants(api_asset: Path, scratch: Path) -> list[ModelVariant]:
    """One model variant per client and memory size; the probes import the shipped invoke-stage
    asset (``.pyc``) first and botocore from this environment's site-packages (it is not bundled)."""
    paths = [str(api_asset), *site.getsitepackages()]
    variants = []
    for client, body in _CLIENT.items():
        (scratch / f"probe_{client.replace('-', '_')}.py").write_text(_BASE.format(paths=paths) + body, "utf-8")
        for memory in MEMORY_SIZES:
            event: dict[str, Any] = {}
            variants.append(
                ModelVariant(
                    name=client_key(client, memory),
                    asset=scratch,
                    module=f"probe_{client.replace('-', '_')}",
                    attr="handler",
                    event=event,
                    memory_mb=memory,
                    expect=EXPECT,
                    warm_invokes=5,
                )
            )
    return variants


def render_clients(model: dict[str, ModelResult], runs: int) -> list[str]:
    """The client table: init, first and warm invoke per client and memory size."""
    lines = [
        "### The invoke fallback's Lambda client: the router's own signer vs botocore (median ms)",
        "",
        "Each row cold-starts a probe whose init imports the shipped invoke-stage router (`api_handlers`, which "
        "builds the TLS context at init), then its client; each invoke calls the HTTPS stand-in once (the first "
        f"one pays the handshake, the warm ones reuse the connection). {runs} interleaved fresh processes per row.",
        "",
        "| client | memory (CPU) | init (full CPU) | init over the base | first invoke | warm invoke |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for client, label in CLIENTS.items():
        for memory in MEMORY_SIZES:
            figure, base = model[client_key(client, memory)], model[client_key("router-base", memory)]
            first, warm = (f"{figure.first:.2f}", f"{figure.warm:.2f}") if client != "router-base" else ("-", "-")
            lines.append(
                f"| {label} | {memory} MB ({cpu_share(memory):.1%}) | {figure.init:.1f} | "
                f"{figure.init - base.init:+.1f} | {first} | {warm} |"
            )
    return lines
