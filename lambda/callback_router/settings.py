"""Where the configuration comes from: read once per cold start.

``CALLBACK_ROUTER_CONFIG`` (JSON text) when set, else ``config.json`` bundled next to this file,
which is the only way at Lambda@Edge (no environment variables there:
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from callback_router.core.config import ConfigError, RouterConfig, parse_config

CONFIG_ENV_VAR = "CALLBACK_ROUTER_CONFIG"
BUNDLED_CONFIG = Path(__file__).with_name("config.json")


def load_config(environ: Mapping[str, str] | None = None, bundled: Path | None = None) -> RouterConfig:
    """Read and validate the configuration (defaults: ``os.environ`` and :data:`BUNDLED_CONFIG`,
    both looked up at call time).

    Raises:
        ConfigError: if it is missing, not JSON, or invalid.
    """
    environ = os.environ if environ is None else environ
    bundled = BUNDLED_CONFIG if bundled is None else bundled
    text = environ.get(CONFIG_ENV_VAR)
    source = f"${CONFIG_ENV_VAR}"
    if text is None:
        source = str(bundled)
        try:
            text = bundled.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError("(document)", f"no ${CONFIG_ENV_VAR} and {source} unreadable: {error.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConfigError("(document)", f"{source} is not valid JSON ({error})") from None
    return parse_config(data)


def load_config_or_problem() -> tuple[RouterConfig | None, ConfigError | None]:
    """:func:`load_config` for a cold start that must not crash: the config, or what is wrong.

    A broken bundle must not take the company's own callbacks down with it: the handlers pass
    requests on (edge) or answer a clear 503 (API), log the problem and count ``ConfigError``.
    """
    try:
        return load_config(), None
    except ConfigError as problem:
        return None, problem
