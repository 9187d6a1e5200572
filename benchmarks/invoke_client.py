"""The invoke fallback's Lambda client: botocore against the router's own SigV4 client, under the
Lambda model (``benchmarks/lambda_model.py``: init at full CPU, the first and warm calls at the
memory's CPU share).

``python -m benchmarks.invoke_client [--runs 7]`` (as root, for the cgroup quota). Each variant is
a fresh ``python -I -S -B`` (no ``.pyc``, as a bundle without bytecode) whose init imports its
client and builds it, and whose invokes each ``Invoke`` a function of the loopback stand-in
(``tools/local_lambda.py``, signatures verified) over HTTP. The figures are written into
``callback_router/fallbacks/lambda_client.py``'s docstring by hand.
"""

from __future__ import annotations

import argparse
import os
import site
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.lambda_model import ModelVariant, measure_model
from tools.local_lambda import LocalLambda

ROOT = Path(__file__).resolve().parents[1]
ARN = "arn:aws:lambda:us-east-1:123456789012:function:company"
MEMORY_SIZES = (128, 1769)

_PATHS = f"""
import sys
sys.path[:0] = {[str(ROOT / "lambda"), *site.getsitepackages()]!r}
import callback_router.adapters.api, callback_router.observability  # the regional handler's own modules
"""
PROBES = {
    "router-base": _PATHS
    + """
def handler(event, context):
    return {"ok": True}
""",
    "own": _PATHS
    + f"""
from callback_router.fallbacks.lambda_client import invoke
def handler(event, context):
    return invoke({ARN!r}, b'{{"k": "v"}}', 5.0)
""",
    "botocore": _PATHS
    + f"""
import botocore.session
client = botocore.session.get_session().create_client("lambda", region_name="us-east-1")
def handler(event, context):
    answer = client.invoke(FunctionName={ARN!r}, Payload=b'{{"k": "v"}}')
    return __import__("json").loads(answer["Payload"].read())
""",
}
"""``router-base`` imports what the router has loaded anyway; the others add one client each, so
the difference to it is what the client costs."""


def main() -> None:
    """Measure both clients at each memory size and print the medians (ms)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with LocalLambda({"company": lambda event, context: {"ok": True}}) as local, tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        os.environ.update(local.environ())
        variants = []
        for name, source in PROBES.items():
            (scratch / f"probe_{name}.py").write_text(source, encoding="utf-8")
            for memory in MEMORY_SIZES:
                event: dict[str, Any] = {}
                variants.append(
                    ModelVariant(
                        name=f"{name}@{memory}",
                        asset=scratch,
                        module=f"probe_{name}",
                        attr="handler",
                        event=event,
                        memory_mb=memory,
                        expect="'ok': True",
                        warm_invokes=5,
                    )
                )
        results, note = measure_model(variants, args.runs, scratch)
    print(note or "CPU quota applied")
    print(f"{'variant':<20}{'init':>10}{'first':>10}{'warm':>10}   (ms; median of {args.runs})")
    for name, result in results.items():
        print(f"{name:<20}{result.init:>10.1f}{result.first:>10.1f}{result.warm:>10.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
