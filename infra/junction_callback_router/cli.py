"""``junction-callback-router``: the command line installed with the package.

    junction-callback-router explain INPUT [--template cdk.out/STACK.template.json [--function-id ID]
                                           | --function NAME [--region R] | --config FILE] [--json]
    junction-callback-router preflight (--cdk-out cdk.out | --template cdk.out/STACK.template.json)

``explain`` says what the router would do with a state, a query, a callback URL or a pasted curl
line (:mod:`callback_router.explain`, the decision the handlers run), against the configuration
of a synthesized stack, of a deployed function or of a file; with none, it reads the token only.
Exit status: 0 redirected (without a config: a Junction Link Token), 1 not redirected, 2 usage or
configuration error. ``preflight`` runs the checks ``make deploy`` runs, on a synthesized app:
no placeholder host left, and AWS credentials that STS accepts; 0 when ``cdk deploy`` may go on.

The checkout's ``python -m tools.explain`` (``make explain``, ``cdk.json`` stages) shares its
parts (:mod:`callback_router.explain`). Nothing here imports ``aws_cdk`` (or cdk-nag): a template is read as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from callback_router.core.config import ConfigError, RouterConfig, parse_config
from callback_router.explain import any_environment, explain, pasted_callback, render, report_json, shown, token_facts
from junction_callback_router.cdk_out import (
    RouterFunction,
    assembly_stacks,
    pick_function,
    placeholder_rules,
    read_json,
    router_functions,
)

EXIT_REDIRECT, EXIT_NOT_REDIRECTED, EXIT_USAGE = 0, 1, 2
PROG = "junction-callback-router"


def error_text(error: ConfigError) -> str:
    """``error`` as one line: a whole-document problem without the ``config key`` prefix."""
    return error.problem if error.key == "(document)" else str(error)


def _function_about(function: RouterFunction) -> dict[str, str]:
    about = {"function": function.name, "read from": function.source}
    fallback = function.document.get("fallback") if isinstance(function.document, dict) else None
    if isinstance(fallback, dict):
        target = fallback.get("url", fallback.get("function_arn", ""))
        about["fallback"] = f"{fallback.get('mode')} {target}".strip()
    if function.has_deploy_time_values:
        about["deploy-time"] = "values shown as <deploy-time: RESOURCE.ATTRIBUTE> are resolved by CloudFormation"
    return about


def _explain_config(args: argparse.Namespace, lambda_client: Any) -> tuple[RouterConfig | None, dict[str, str]]:
    """The config to explain against (``None``: none given) and lines saying where it came from."""
    if args.template is not None:
        function = pick_function(router_functions(args.template), args.function_id, args.template)
        return function.config(), _function_about(function)
    if args.function is not None:
        from junction_callback_router.deployed import deployed_config_text
        from junction_callback_router.deployed import lambda_client as make_client

        client = lambda_client if lambda_client is not None else make_client(args.region)
        text = deployed_config_text(client, args.function)
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as error:
            problem = error or "nested too deeply"
            raise ConfigError("(document)", f"--function {args.function}: its config is not JSON ({problem})") from None
        return parse_config(document), {"function": args.function, "read from": "its $CALLBACK_ROUTER_CONFIG"}
    if args.config is not None:
        return parse_config(read_json(args.config)), {"read from": str(args.config)}
    return None, {}


def report(
    text: str, config: RouterConfig | None, provider: str | None, as_json: bool, about: Mapping[str, str]
) -> int:
    """Print what the router would do with ``text`` under ``config``; returns the exit status."""
    found = explain(text, config or any_environment(), provider=provider)
    if as_json:
        print(report_json(found, config is not None, about=about))
    else:
        for name, value in about.items():
            print(f"{name + ':':<13} {shown(value)}")
        if config is not None:
            print(render(found))
        else:
            print(token_facts(found))
            print("config:       none given (--template, --function or --config): the token only")
    if config is None:
        return EXIT_REDIRECT if found.is_link_token else EXIT_NOT_REDIRECTED
    return EXIT_REDIRECT if found.redirects else EXIT_NOT_REDIRECTED


def _needs_boto3(error: ImportError) -> bool:
    """Whether ``error`` is the AWS SDK missing: ``--function`` and ``preflight`` need it, nothing else."""
    if error.name not in {"boto3", "botocore"}:
        return False
    print("error: this needs the AWS SDK for Python: pip install boto3", file=sys.stderr)
    return True


def run_explain(args: argparse.Namespace, lambda_client: Any = None) -> int:
    """``explain``: the verdict for the pasted callback."""
    text = pasted_callback(" ".join(args.input))
    if not text.strip():
        print("error: give a state value, a query string or a callback URL", file=sys.stderr)
        return EXIT_USAGE
    if args.function_id is not None and args.template is None:
        print("error: --function-id picks a function of --template", file=sys.stderr)
        return EXIT_USAGE
    if args.region is not None and args.function is None:
        print("error: --region is the region of --function", file=sys.stderr)
        return EXIT_USAGE
    try:
        config, about = _explain_config(args, lambda_client)
    except ConfigError as error:
        print(f"error: {error_text(error)}", file=sys.stderr)
        return EXIT_USAGE
    except ImportError as error:
        if not _needs_boto3(error):
            raise
        return EXIT_USAGE
    return report(text, config, args.provider, args.json, about)


def run_preflight(args: argparse.Namespace) -> int:
    """``preflight``: placeholders refused and credentials checked before ``cdk deploy``."""
    from junction_callback_router.preflight import check_credentials

    try:
        cdk_out = args.cdk_out if args.cdk_out is not None else args.template.parent
        has_manifest = (cdk_out / "manifest.json").is_file()
        if args.cdk_out is not None or has_manifest:
            stacks = assembly_stacks(cdk_out)
            if args.template is not None:
                stacks = [stack for stack in stacks if stack.template.resolve() == args.template.resolve()]
            templates, regions = [stack.template for stack in stacks], [s.region for s in stacks if s.region]
            if args.template is not None and not stacks:  # not in this manifest: no region known
                templates = [args.template]
        else:
            templates, regions = [args.template], []
        if not templates:
            print(f"error: no stack in {cdk_out}: run cdk synth first", file=sys.stderr)
            return 1
        problems = [problem for template in templates for problem in placeholder_rules(template)]
    except ConfigError as error:
        print(f"error: {error_text(error)}", file=sys.stderr)
        return 1
    names = [template.name.removesuffix(".template.json") for template in templates]
    label = ("stacks " if len(names) > 1 else "stack ") + ", ".join(names)
    if problems:
        print(f"error: {label} still points at placeholders; nothing was deployed:", file=sys.stderr)
        for problem in problems:
            print(f"  - {shown(problem)}", file=sys.stderr)
        return 1
    try:
        message = check_credentials(label, sorted(set(regions)))
    except ImportError as error:
        if not _needs_boto3(error):
            raise
        return 1
    if message is not None:
        print(message, file=sys.stderr)
        return 1
    print(f"preflight: {label}: no placeholder hosts, AWS credentials accepted; cdk deploy may go on")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line's parser."""
    top = argparse.ArgumentParser(prog=PROG, description="Junction BYOO callback router: explain and preflight.")
    commands = top.add_subparsers(dest="command", required=True)
    explain_ = commands.add_parser(
        "explain",
        help="what the router would do with a state, a query, a callback URL or a curl line",
        description="Say whether a state is a Junction Link Token, its environment and unverified claims, "
        "whether the router's config accepts it, and the exact Location it would produce. "
        "Exit status: 0 redirected, 1 not redirected, 2 usage or config error.",
    )
    explain_.add_argument("input", nargs="+", help="a state value, a query string, a callback URL, or a curl line")
    source = explain_.add_mutually_exclusive_group()
    source.add_argument("--template", type=Path, help="a synthesized stack: cdk.out/STACK.template.json")
    source.add_argument("--function", help="a deployed router function (name or ARN), read through the Lambda API")
    source.add_argument("--config", type=Path, help="a router config JSON file")
    explain_.add_argument("--function-id", help="with --template: which router function (logical id or path)")
    explain_.add_argument("--region", help="with --function: its region (default: the environment's)")
    explain_.add_argument("--provider", help="provider slug to assume for a bare state or query (default: fitbit)")
    explain_.add_argument("--json", action="store_true", help="print the findings as JSON")
    preflight = commands.add_parser(
        "preflight",
        help="before cdk deploy: no placeholder host left, AWS credentials that STS accepts",
        description="Run the checks make deploy runs on a synthesized app (cdk synth first). "
        "Exit status: 0 when cdk deploy may go on, 1 when not.",
    )
    app = preflight.add_mutually_exclusive_group(required=True)
    app.add_argument("--cdk-out", type=Path, help="the cloud assembly folder (every stack in it)")
    app.add_argument("--template", type=Path, help="one stack: cdk.out/STACK.template.json")
    return top


def main(argv: Sequence[str] | None = None, *, lambda_client: Any = None) -> int:
    """Run the command line; returns the exit status (``lambda_client``: for tests, a stubbed client)."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 on --help
        return int(exit_.code or 0)
    if args.command == "explain":
        return run_explain(args, lambda_client)
    return run_preflight(args)
