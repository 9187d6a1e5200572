"""The configuration a deployed router function runs with, read through the Lambda API.

``lambda:GetFunctionConfiguration`` gives the function's environment: its
``CALLBACK_ROUTER_CONFIG`` is the configuration (CloudFormation resolved every deploy-time value).
A function without it runs the ``config.json`` bundled in its code (always at Lambda@Edge):
rather than download the code, say so and point at ``--template``, which reads the same file
from ``cdk.out``. ``boto3`` is imported only when a client is made here.
"""

from __future__ import annotations

from typing import Any

from callback_router.core.config import ConfigError
from callback_router.settings import CONFIG_ENV_VAR


def lambda_client(region: str | None) -> Any:
    """A Lambda client for ``region`` (``None``: the environment's), with short timeouts and no retry.

    Raises:
        ConfigError: no client can be made (no region known, or ``region`` is no region name).
    """
    import boto3  # type: ignore[import-untyped]
    import botocore.config  # type: ignore[import-untyped]
    import botocore.exceptions  # type: ignore[import-untyped]

    config = botocore.config.Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 1})
    try:
        return boto3.session.Session().client("lambda", region_name=region, config=config)
    except botocore.exceptions.BotoCoreError as error:  # raised when the client is made, not when called
        problem = f"{type(error).__name__}: {error}"
        raise ConfigError("(document)", f"no Lambda API client ({problem}); give --region or set AWS_REGION") from None


def deployed_config_text(client: Any, function: str) -> str:
    """The JSON text of ``function``'s ``CALLBACK_ROUTER_CONFIG``.

    Raises:
        ConfigError: the function cannot be read, is not the router, or runs a bundled config.
    """
    import botocore.exceptions

    try:
        answer = client.get_function_configuration(FunctionName=function)
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "ClientError")
        raise ConfigError("(document)", f"--function {function}: the Lambda API answered {code}") from None
    except botocore.exceptions.BotoCoreError as error:  # no credentials, no region, no network
        raise ConfigError("(document)", f"--function {function}: {type(error).__name__}: {error}") from None
    handler = answer.get("Handler")
    environment = answer.get("Environment")
    variables = environment.get("Variables") if isinstance(environment, dict) else None
    text = variables.get(CONFIG_ENV_VAR) if isinstance(variables, dict) else None
    if isinstance(text, str):
        return text
    if not (isinstance(handler, str) and handler.startswith("callback_router.")):
        raise ConfigError("(document)", f"--function {function}: not a callback router function (handler {handler})")
    raise ConfigError(
        "(document)",
        f"--function {function}: its config is bundled in its code (no ${CONFIG_ENV_VAR}; always so at "
        "Lambda@Edge); read it from the synthesized app instead: --template cdk.out/STACK.template.json",
    )
