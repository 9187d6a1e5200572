"""Lambda SnapStart runtime hooks for the regional function (``snap_start=True``, Python 3.12+).

Everything a callback needs already happens during init (imports, the parsed config, a
synthetic callback of each kind through the real handlers), so the snapshot holds a warm router
and no ``before_snapshot`` hook is needed. What a snapshot must not carry is shared randomness:
every environment restored from one snapshot would continue from the same ``random`` state
(the router draws from none today; any library that does would), so it is reseeded after each
restore, as the Lambda
developer guide ("Handling uniqueness with Lambda SnapStart") recommends.

The hooks come from ``snapshot_restore_py``, which the Python managed runtimes include
("Lambda SnapStart runtime hooks for Python"); where it is absent (local runs, the edge) nothing
is registered.
"""

from __future__ import annotations

import random


def reseed_after_restore() -> None:
    """Give this restored environment its own random state (from ``os.urandom``)."""
    random.seed()


def register_hooks() -> bool:
    """Register the runtime hooks when the SnapStart library is there; whether it was."""
    try:
        from snapshot_restore_py import register_after_restore  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return False
    register_after_restore(reseed_after_restore)
    return True


HOOKS_REGISTERED = register_hooks()
