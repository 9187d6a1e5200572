"""The router as a synthesized app describes it: read from ``cdk.out`` without the CDK.

For the command line (``junction-callback-router explain --template``, ``preflight``): which
functions of a template are the router's, the configuration each one runs with, the stacks of a
cloud assembly and their regions, and the placeholder rules the constructs put in a template.

The router's configuration is in one of two places (``router.py``, ``edge.py``):

* the ``CALLBACK_ROUTER_CONFIG`` environment variable: JSON text, or, when a prop is only known
  at deploy time, a CloudFormation expression (``Fn::Join`` of text and ``Fn::GetAtt``/``Ref``);
* ``callback_router/config.json`` in the function's asset folder (always at Lambda@Edge), found
  through the function's ``aws:asset:path`` metadata or, when the app was synthesized without
  asset metadata, the asset manifest (``NAME.assets.json``) entry of its code's S3 key.

Deploy-time values are kept as text such as ``<deploy-time: CompanyCallback.Arn>``; for
validation by the function's own parser they stand in as the constructs' stand-ins do.

Everything read here is a file the user pointed at: any shape of JSON gets a :class:`ConfigError`
with a clear message, never a traceback. This module imports no ``aws_cdk``: reading a template
must not start the CDK's jsii runtime.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callback_router.core.config import ConfigError, RouterConfig, parse_config
from callback_router.settings import CONFIG_ENV_VAR
from junction_callback_router.stand_ins import TOKEN_ARN_STAND_IN, TOKEN_STAND_IN

ROUTER_HANDLER_PREFIX = "callback_router."
"""Every handler of the router's functions is in the ``callback_router`` package."""
PLACEHOLDER_RULE = "RefusePlaceholderDeployment"
"""In the logical id of the rule ``safety.refuse_deployment`` adds while a placeholder host remains."""
DEPLOY_TIME = re.compile(r"<deploy-time: [^<>\"\\]*>")
_MAX_DEPTH = 16
_CDK_SUFFIX = re.compile(r"(?<=[A-Za-z0-9])[0-9A-F]{8}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9:._/-]")


@dataclass(frozen=True)
class RouterFunction:
    """One of the router's functions in a template, and the configuration it runs with."""

    logical_id: str
    path: str | None
    """Its construct path (``aws:cdk:path`` metadata), when the app recorded it."""
    handler: str
    source: str
    """Where the configuration was read: the environment variable or the bundled file."""
    document: Any
    """The configuration document; deploy-time values as ``<deploy-time: ...>`` text."""

    @property
    def name(self) -> str:
        """How to tell it from the others: the construct path, else the logical id."""
        return f"{self.path} ({self.logical_id})" if self.path else self.logical_id

    @property
    def has_deploy_time_values(self) -> bool:
        """Whether some value of the configuration is only known at deploy time."""
        return DEPLOY_TIME.search(json.dumps(self.document)) is not None

    def config(self) -> RouterConfig:
        """The configuration, validated by the function's own parser (deploy-time values stood in).

        Raises:
            ConfigError: the document is not a configuration the function would start with.
        """
        try:
            return parse_config(_stood_in(self.document))
        except RecursionError:  # a hostile document nested deeper than Python recurses
            raise ConfigError("(document)", f"{self.logical_id}: its config is nested too deeply") from None


def _logical_name(logical_id: str) -> str:
    # CDK appends an 8-character hash to a construct's logical id: drop it to show the name the
    # user wrote (CompanyCallbackFBF2FC04 -> CompanyCallback).
    return _CDK_SUFFIX.sub("", logical_id) if len(logical_id) > 8 else logical_id


def deploy_time_text(value: Any, depth: int = 0) -> str:
    """A CloudFormation value as text: literal text as is, every intrinsic as ``<deploy-time: ...>``.

    ``Fn::Join`` is joined (its literal parts kept); ``Ref`` and ``Fn::GetAtt`` name what they
    point at; any other intrinsic is named by its function.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, dict | list | int | float) or depth > _MAX_DEPTH:
        return "<deploy-time: value>"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            if isinstance(separator, str) and isinstance(parts, list):
                return separator.join(deploy_time_text(part, depth + 1) for part in parts)
        if function == "Ref" and isinstance(argument, str):
            return _marker(_logical_name(argument))
        if function == "Fn::GetAtt" and isinstance(argument, str):  # the "Resource.Attribute" form
            return _marker(argument)
        if function == "Fn::GetAtt" and isinstance(argument, list) and all(isinstance(a, str) for a in argument):
            return _marker(".".join([_logical_name(argument[0]), *argument[1:]]) if argument else "Fn::GetAtt")
        if isinstance(function, str):
            return _marker(function)
    return "<deploy-time: value>"


def _marker(name: str) -> str:
    # Only a safe alphabet: the marker is put inside JSON text and printed to a terminal.
    return f"<deploy-time: {_UNSAFE.sub('?', name)[:200]}>"


def _stood_in(value: Any, key: str | None = None) -> Any:
    """``value`` with each deploy-time marker replaced by the constructs' stand-ins (options.py)."""
    if isinstance(value, dict):
        return {name: _stood_in(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_stood_in(item, key) for item in value]
    if not isinstance(value, str) or not DEPLOY_TIME.search(value):
        return value
    if key == "function_arn":
        return TOKEN_ARN_STAND_IN
    # At the start a deploy-time value stands for a whole origin (an API's endpoint URL).
    value = DEPLOY_TIME.sub(f"https://{TOKEN_STAND_IN}", value, count=1) if DEPLOY_TIME.match(value) else value
    return DEPLOY_TIME.sub(TOKEN_STAND_IN, value)


def read_json(path: Path) -> Any:
    """A JSON file, or a :class:`ConfigError` that names it."""
    text = _read_text(path)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ConfigError("(document)", f"{path} is not valid JSON ({error or 'nested too deeply'})") from None


def _resources(template: Any, path: Path) -> Mapping[str, Any]:
    resources = template.get("Resources") if isinstance(template, dict) else None
    if not isinstance(resources, dict):
        raise ConfigError("(document)", f"{path} is not a CloudFormation template (no Resources)")
    return resources


def _asset_folder(template_path: Path, resource: Mapping[str, Any], code: Any) -> Path | None:
    metadata = resource.get("Metadata")
    asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
    if isinstance(asset, str):
        return template_path.parent / asset
    key = code.get("S3Key") if isinstance(code, dict) else None
    manifest_path = template_path.with_name(template_path.name.removesuffix(".template.json") + ".assets.json")
    if not isinstance(key, str) or not manifest_path.is_file():
        return None
    manifest = read_json(manifest_path)
    files = manifest.get("files") if isinstance(manifest, dict) else None
    entry = files.get(key.removesuffix(".zip")) if isinstance(files, dict) else None
    source = entry.get("source") if isinstance(entry, dict) else None
    folder = source.get("path") if isinstance(source, dict) else None
    return template_path.parent / folder if isinstance(folder, str) else None


def _router_function(template_path: Path, logical_id: str, resource: Mapping[str, Any]) -> RouterFunction:
    properties = resource.get("Properties")
    properties = properties if isinstance(properties, dict) else {}
    metadata = resource.get("Metadata")
    path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
    environment = properties.get("Environment")
    variables = environment.get("Variables") if isinstance(environment, dict) else None
    value = variables.get(CONFIG_ENV_VAR) if isinstance(variables, dict) else None
    if value is not None:
        source, text = f"${CONFIG_ENV_VAR} of the function", deploy_time_text(value)
    else:
        folder = _asset_folder(template_path, resource, properties.get("Code"))
        if folder is None:
            raise ConfigError("(document)", f"{logical_id}: no ${CONFIG_ENV_VAR} and its asset folder is not known")
        bundled = folder / "callback_router" / "config.json"
        source, text = str(bundled), _read_text(bundled)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        problem = error or "nested too deeply"
        raise ConfigError("(document)", f"{logical_id}: its config ({source}) is not valid JSON ({problem})") from None
    return RouterFunction(
        logical_id=logical_id,
        path=path if isinstance(path, str) else None,
        handler=str(properties.get("Handler")),
        source=source,
        document=document,
    )


def _read_text(path: Path) -> str:
    """A text file, or a :class:`ConfigError` that names it."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError("(document)", f"{path} unreadable: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ConfigError("(document)", f"{path} is not UTF-8 text ({error.reason})") from None
    except ValueError:  # a NUL in a path the template names: no file can have it
        raise ConfigError("(document)", f"{str(path)!r} unreadable: a file name cannot hold a NUL") from None


def router_functions(template_path: Path) -> list[RouterFunction]:
    """Every function of the template whose handler is the router's, in the template's order.

    Raises:
        ConfigError: the file is not a readable template, or a router function's config is unreadable.
    """
    found = []
    for logical_id, resource in _resources(read_json(template_path), template_path).items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Lambda::Function":
            continue
        properties = resource.get("Properties")
        handler = properties.get("Handler") if isinstance(properties, dict) else None
        if isinstance(handler, str) and handler.startswith(ROUTER_HANDLER_PREFIX):
            found.append(_router_function(template_path, str(logical_id), resource))
    return found


def pick_function(functions: list[RouterFunction], function_id: str | None, template_path: Path) -> RouterFunction:
    """The one function to explain: the only one, or the one ``function_id`` names (its logical id,
    with or without CDK's hash suffix, or its construct path or the path of the router construct).

    Raises:
        ConfigError: none, several without ``function_id``, or none that it names; the message lists them.
    """
    listed = "; ".join(function.name for function in functions)
    if function_id is not None:
        for function in functions:
            names = (function.logical_id, _logical_name(function.logical_id), function.path)
            if function_id in names or (function.path or "").startswith(f"{function_id.rstrip('/')}/"):
                return function
        raise ConfigError("(document)", f"--function-id {function_id}: no such router function; found: {listed}")
    if not functions:
        raise ConfigError(
            "(document)",
            f"{template_path} has no router function (no Lambda handler callback_router.*; a "
            "CloudFrontFunctionCallbackRouter has its config compiled into its JavaScript, not read here)",
        )
    if len(functions) > 1:
        raise ConfigError(
            "(document)",
            f"{template_path} has {len(functions)} router functions: {listed}; pick one with --function-id",
        )
    return functions[0]


@dataclass(frozen=True)
class SynthesizedStack:
    """One stack of a cloud assembly."""

    name: str
    template: Path
    region: str | None
    """``None`` for an environment-agnostic stack (the region comes from the credentials)."""


def assembly_stacks(cdk_out: Path, depth: int = 0, seen: set[Path] | None = None) -> list[SynthesizedStack]:
    """The CloudFormation stacks of ``cdk_out/manifest.json`` with their template and region,
    those of nested assemblies (a ``cdk.Stage``'s ``assembly-NAME/``) included, each folder once.

    Raises:
        ConfigError: no readable cloud assembly there.
    """
    # A hand-edited manifest may name its own folder, or one that names it back: read each once
    # (otherwise every stack is listed again per level, and two such entries double the reads).
    seen = set() if seen is None else seen
    seen.add(_folder(cdk_out))
    manifest = read_json(cdk_out / "manifest.json")
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    stacks = []
    for name, artifact in (artifacts if isinstance(artifacts, dict) else {}).items():
        if not isinstance(artifact, dict):
            continue
        properties = artifact.get("properties")
        nested = properties.get("directoryName") if isinstance(properties, dict) else None
        if artifact.get("type") == "cdk:cloud-assembly" and isinstance(nested, str) and depth < _MAX_DEPTH:
            if _folder(cdk_out / nested) not in seen:
                stacks += assembly_stacks(cdk_out / nested, depth + 1, seen)
            continue
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = properties.get("templateFile") if isinstance(properties, dict) else None
        environment = artifact.get("environment")
        region = environment.rsplit("/", 1)[-1] if isinstance(environment, str) else None
        stacks.append(
            SynthesizedStack(
                name=str(name),
                template=cdk_out / (template if isinstance(template, str) else f"{name}.template.json"),
                region=None if region in (None, "", "unknown-region") else region,
            )
        )
    return stacks


def _folder(path: Path) -> Path:
    """``path`` resolved, to tell folders apart; as given when it cannot be (a NUL, a symlink loop),
    where reading its manifest then fails with a clear line."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path


def placeholder_rules(template_path: Path) -> list[str]:
    """What each placeholder rule of the template says (``safety.refuse_deployment``): the
    problems CloudFormation would refuse the deploy for, before creating anything.

    Raises:
        ConfigError: the file is not a readable template.
    """
    template = read_json(template_path)
    _resources(template, template_path)
    rules = template.get("Rules")
    problems = []
    for name, rule in (rules if isinstance(rules, dict) else {}).items():
        assertions = rule.get("Assertions") if isinstance(rule, dict) else None
        if PLACEHOLDER_RULE not in str(name) or not isinstance(assertions, list):
            continue
        problems += [str(item.get("AssertDescription")) for item in assertions if isinstance(item, dict)]
    return problems
