"""Write the asset's bytecode: hash-based ``.pyc`` files for every module of a Lambda code directory.

Standard library only, and runnable as a script (``python3.12 pyc.py OUT_DIR``), so that
:mod:`junction_callback_router.bundling` can run the same code under the Lambda runtime's own
interpreter when the synthesizing Python is another version (a ``.pyc`` is only valid for the
interpreter version that wrote it). Nothing here depends on that interpreter's environment: files
are visited in sorted order and the bytecode records neither time nor build path.
"""

from __future__ import annotations

import importlib.util
import py_compile
import sys
from pathlib import Path


def compile_tree(out_dir: Path) -> None:
    """Write hash-based ``.pyc`` files for every module in ``out_dir``.

    Why hash-based (``UNCHECKED_HASH``): a default (timestamp) ``.pyc`` records the source's mtime
    and size and is ignored when they differ. CDK normalises file times when it zips an asset, and
    Lambda's ``/var/task`` is read-only, so such a ``.pyc`` would be rejected and every cold start
    would compile every imported module again. An unchecked-hash ``.pyc`` is loaded without looking
    at the source at all (PEP 552), which is safe here because the asset is immutable once built.
    ``dfile`` (``/var/task/...``) keeps the bytecode independent of the temporary build path, so
    builds are reproducible. Every module keeps its source next to ``__pycache__``, so that
    tracebacks show it.
    """
    for source in sorted(out_dir.rglob("*.py")):
        py_compile.compile(
            str(source),
            cfile=importlib.util.cache_from_source(str(source)),
            dfile=f"/var/task/{source.relative_to(out_dir).as_posix()}",
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )


def main(argv: list[str]) -> int:
    """``pyc.py OUT_DIR``: what :func:`compile_tree` does, as a command."""
    if len(argv) != 1:
        print("usage: pyc.py OUT_DIR", file=sys.stderr)
        return 2
    compile_tree(Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
