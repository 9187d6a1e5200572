"""Docker-free asset bundling for the router's Lambda functions.

Two entry points:

* :func:`build_asset` is a plain function: it writes a complete Lambda code directory for one
  stage (``kind="api"`` for the API Gateway functions, ``kind="edge"`` for Lambda@Edge). The CDK
  bundler below calls it, and so do the asset tests and ``benchmarks/run.py``. Keep its name and
  signature stable.
* :class:`LocalBundler` is the ``ILocalBundling`` that CDK calls at synth time instead of Docker
  (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.ILocalBundling.html).

What goes into an asset:

1. The pinned runtime requirements (``callback_router/requirements.txt``), installed by pip *for the Lambda
   platform* (``manylinux2014_x86_64``, CPython, the runtime's Python version, wheels only), so
   the result does not depend on the machine that runs ``cdk synth``. The install is cached under
   ``.build/requirements/<hash>/`` (in the directory ``cdk`` runs from, or
   ``$JUNCTION_CALLBACK_ROUTER_CACHE``), keyed by the requirements text, platform and Python
   version, so only the first synth pays for pip.
2. The ``callback_router`` package, wherever it is imported from (``lambda/`` in a checkout,
   ``site-packages`` after ``pip install junction-callback-router``), without ``__pycache__``, a
   stray ``config.json`` or its ``requirements.txt``.
3. ``callback_router/config.json``: the runtime config document, so one definition (construct
   props or a ``cdk.json`` stage) drives both the infrastructure and the function.
4. ``.pyc`` files, written by an interpreter of the Lambda runtime's minor version: the Python that
   bundles, or the one :func:`~junction_callback_router.interpreters.find_interpreter` finds (see
   :func:`~junction_callback_router.pyc.compile_tree` for why they are hash-based).

The edge asset leaves out what the viewer-request handler never imports (``h11``, the proxy
fallback's client): Lambda@Edge caps a viewer-request package at 1 MB zipped.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

import callback_router
from junction_callback_router import pyc
from junction_callback_router.interpreters import Interpreter, find_interpreter
from junction_callback_router.runtimes import DEFAULT_PYTHON_VERSION, LAMBDA_PYTHON_RUNTIMES

AssetKind = Literal["api", "edge"]


class HasRuntimeJson(Protocol):
    """Anything that renders the runtime config document (a ``cdk.json`` stage does)."""

    def runtime_json(self) -> str:
        """The document as ``config.json`` text."""
        ...


PACKAGE_DIR = Path(callback_router.__file__).resolve().parent
"""The Lambda package, from a checkout (``lambda/``) or from site-packages: bundling works from both."""
REQUIREMENTS = PACKAGE_DIR / "requirements.txt"
"""The function's pinned runtime requirements; the repository's ``requirements.txt`` includes it."""
CACHE_ENV_VAR = "JUNCTION_CALLBACK_ROUTER_CACHE"


def build_dir() -> Path:
    """Where pip installs for Lambda are cached: ``$JUNCTION_CALLBACK_ROUTER_CACHE`` or ``./.build``."""
    return Path(os.environ.get(CACHE_ENV_VAR) or Path.cwd() / ".build")


LAMBDA_PLATFORM = "manylinux2014_x86_64"
"""Both functions run on x86_64: Lambda@Edge supports nothing else, and one platform keeps one cache."""

BUNDLER_VERSION = "1"
"""Bump when the asset layout changes, so CDK's asset hash changes with it."""

# No handler imports Powertools or PyJWT (callback_router/powertools_format.py writes their log
# line and EMF document, core/link_token.py reads tokens), so neither is bundled. The isolated-run
# tests in tests/infra/test_assets.py fail if a handler ever imports a module its asset lacks.
EDGE_DROP_TOP_LEVEL = ("h11",)
"""h11, the proxy fallback's HTTP/1.1: the edge passes requests on to CloudFront's origin instead."""
EDGE_DROP_DISTRIBUTIONS = ("h11-",)
"""The ``.dist-info`` folders of what the edge leaves out (lower-cased prefixes)."""


def lambda_python_version(interpreter: tuple[int, int] = (sys.version_info.major, sys.version_info.minor)) -> str:
    """The runtime version for a local build that names none (tests, benchmarks): this interpreter's,
    when Lambda has it, so that its ``.pyc`` ship; else the constructs' default.

    Deployments never use this: the constructs pass their ``python_runtime`` explicitly.
    """
    version = f"{interpreter[0]}.{interpreter[1]}"
    return version if version in LAMBDA_PYTHON_RUNTIMES else DEFAULT_PYTHON_VERSION


def requirements_key(python_version: str, requirements: Path = REQUIREMENTS) -> str:
    """Cache key of one requirements install: the requirements text, platform and Python version."""
    digest = hashlib.sha256()
    for part in (requirements.read_bytes(), LAMBDA_PLATFORM.encode(), python_version.encode()):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def install_requirements(python_version: str | None = None, *, cache: Path | None = None) -> Path:
    """Install ``requirements.txt`` for the Lambda platform once; return the cached directory.

    Concurrent synths (the CLI test runs several) may race: each installs into its own temporary
    directory and renames it into place; the loser discards its copy.
    """
    version = python_version or lambda_python_version()
    target = (cache or build_dir()) / "requirements" / requirements_key(version)
    if (target / ".complete").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="install-", dir=target.parent))
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # compiled below, hash-based; pip's timestamp .pyc would be ignored on Lambda
        "--platform",
        LAMBDA_PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        version,
        "--only-binary=:all:",
        "--target",
        str(staging),
        "-r",
        str(REQUIREMENTS),
    ]
    try:
        subprocess.run(command, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603 -- fixed argv, no shell
    except subprocess.CalledProcessError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"pip could not install {REQUIREMENTS.name} for Lambda:\n{error.stdout}") from None
    shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts: no use inside Lambda
    (staging / ".complete").write_text(" ".join(command[3:]) + "\n", encoding="utf-8")
    try:
        staging.rename(target)
    except OSError:  # another process finished first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _ignore_build_litter(directory: str, names: list[str]) -> set[str]:
    return {name for name in names if name == "__pycache__" or name.endswith((".pyc", ".pyo"))}


def _copy_requirements(site: Path, out_dir: Path, kind: AssetKind) -> None:
    for entry in sorted(site.iterdir()):
        name = entry.name
        if name.startswith("."):
            continue
        if kind == "edge" and (name in EDGE_DROP_TOP_LEVEL or name.lower().startswith(EDGE_DROP_DISTRIBUTIONS)):
            continue
        if kind == "edge" and name.endswith(".dist-info"):
            # Only the licence texts: RECORD/METADATA are for pip, and the bytes count at the edge.
            for licence in sorted(entry.rglob("*")):
                if licence.is_file() and "licen" in licence.name.lower():
                    destination = out_dir / name / licence.relative_to(entry)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(licence, destination)
            continue
        if entry.is_dir():
            shutil.copytree(entry, out_dir / name, ignore=_ignore_build_litter)
        else:
            shutil.copy2(entry, out_dir / name)


def _copy_package(out_dir: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        ignored = _ignore_build_litter(directory, names)
        if Path(directory) == PACKAGE_DIR:
            ignored |= {name for name in names if name in ("config.json", "requirements.txt", "tests")}
        return ignored

    shutil.copytree(PACKAGE_DIR, out_dir / "callback_router", ignore=ignore)


COMPILE_TIMEOUT_SECONDS = 600
"""Far above the few seconds an asset takes: a hung interpreter must not hang ``cdk synth``."""


def compile_bytecode(out_dir: Path, *, interpreter: Interpreter | None = None) -> None:
    """Write the ``.pyc`` files of ``out_dir`` (:func:`~junction_callback_router.pyc.compile_tree`).

    ``interpreter`` (default: this one) writes them: another Python runs ``pyc.py`` as a script,
    isolated from the environment (``-I``), so its bytecode is for its own version.
    """
    if interpreter is None or interpreter.is_running:
        pyc.compile_tree(out_dir)
        return
    command = [interpreter.executable, "-I", str(Path(pyc.__file__).resolve()), str(out_dir)]
    try:
        result = subprocess.run(  # noqa: S603 -- fixed argv
            command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"Python {interpreter.version} ({interpreter.executable}) did not compile the asset's bytecode "
            f"within {COMPILE_TIMEOUT_SECONDS} s"
        ) from None
    if result.returncode != 0:
        raise RuntimeError(
            f"Python {interpreter.version} ({interpreter.executable}) could not compile the asset's bytecode:\n"
            f"{result.stderr[-2000:]}"
        )


def bytecode_interpreter(python_version: str) -> Interpreter | None:
    """The interpreter that writes the asset's ``.pyc`` for ``python_version``; ``None``: no bytecode ships."""
    return find_interpreter(python_version).interpreter


def _config_text(config: str | HasRuntimeJson) -> str:
    return config if isinstance(config, str) else config.runtime_json()


def build_asset(
    kind: AssetKind,
    config: str | HasRuntimeJson,
    out_dir: Path,
    *,
    compile_pyc: bool = True,
    python_version: str | None = None,
) -> Path:
    """Build the Lambda code directory into ``out_dir`` (created; must be empty).

    Args:
        kind: ``"api"`` (API Gateway, ALB and Function URL handlers, with the proxy fallback's
            ``h11``) or ``"edge"`` (viewer-request handler, for Lambda@Edge's size limit).
        config: the runtime config document (JSON text, or a stage), written as
            ``callback_router/config.json``.
        out_dir: where to write the asset (the Lambda code root, i.e. what ``/var/task`` will hold).
        compile_pyc: ship ``.pyc`` files. Ignored (no ``.pyc``) when no interpreter of the Lambda
            runtime's version is found (:func:`bytecode_interpreter`): the runtime loads no other.
        python_version: the Lambda runtime's ``major.minor`` (default: :func:`lambda_python_version`).

    Returns:
        ``out_dir``.
    """
    if kind not in ("api", "edge"):
        raise ValueError(f"kind must be 'api' or 'edge', not {kind!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty")
    python_version = python_version or lambda_python_version()
    _copy_requirements(install_requirements(python_version), out_dir, kind)
    _copy_package(out_dir)
    (out_dir / "callback_router" / "config.json").write_text(_config_text(config), encoding="utf-8")
    interpreter = bytecode_interpreter(python_version) if compile_pyc else None
    if interpreter is not None:
        compile_bytecode(out_dir, interpreter=interpreter)
    return out_dir


def _source_files() -> Iterable[Path]:
    return sorted(
        path
        for path in PACKAGE_DIR.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in (".pyc", ".pyo")
        and path.relative_to(PACKAGE_DIR).parts[0] not in ("config.json", "requirements.txt", "tests")
    )


def asset_hash(kind: AssetKind, config: str | HasRuntimeJson, python_version: str | None = None) -> str:
    """Fingerprint of everything :func:`build_asset` reads, used as CDK's custom asset hash.

    CDK's default hash covers only the source directory (``lambda/``): a change to the stage's
    config in ``cdk.json`` or to ``requirements.txt`` would not produce a new asset.
    """
    python_version = python_version or lambda_python_version()
    interpreter = bytecode_interpreter(python_version)
    digest = hashlib.sha256()
    parts: list[bytes] = [
        BUNDLER_VERSION.encode(),
        kind.encode(),
        _config_text(config).encode(),
        requirements_key(python_version).encode(),
        # The bytecode's format (its magic number), or none: what the asset's .pyc files depend on.
        (interpreter.magic if interpreter is not None else "no bytecode").encode(),
        Path(__file__).read_bytes(),
        Path(pyc.__file__).read_bytes(),
    ]
    for path in _source_files():
        parts += [path.relative_to(PACKAGE_DIR).as_posix().encode(), path.read_bytes()]
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class LocalBundler:
    """CDK local bundling: builds the asset with :func:`build_asset`, never with Docker."""

    def __init__(self, kind: AssetKind, config: str, python_version: str) -> None:
        self.kind = kind
        self.config = config
        self.python_version = python_version

    def try_bundle(self, output_dir: str, options: Any = None) -> bool:
        """Build the asset into ``output_dir`` (CDK's empty staging directory); always succeeds or raises.

        jsii passes the ``BundlingOptions`` struct as one positional argument; nothing in it is needed.
        """
        build_asset(self.kind, self.config, Path(output_dir), python_version=self.python_version)
        return True


BUNDLING_IMAGE = DockerImage.from_registry(f"public.ecr.aws/sam/build-python{lambda_python_version()}")
"""Required by ``BundlingOptions`` but never pulled: :class:`LocalBundler` always bundles."""


def function_code(kind: AssetKind, config_json: str, python_version: str) -> lambda_.Code:
    """The function's code asset, built locally (never with Docker) by :class:`LocalBundler`.

    The custom hash covers everything the build reads (package source, config, pinned
    requirements, runtime version), so any change makes a new asset and nothing else does.
    """
    return lambda_.Code.from_asset(
        str(PACKAGE_DIR),
        asset_hash=asset_hash(kind, config_json, python_version),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            image=BUNDLING_IMAGE,
            local=cast(ILocalBundling, LocalBundler(kind, config_json, python_version)),
        ),
    )
