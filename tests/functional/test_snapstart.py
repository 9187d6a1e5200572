"""SnapStart runtime hooks: registered by the regional entry point, and each restore reseeds ``random``."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import random, snapshot_restore_py
import callback_router.handlers as handlers
handlers.api_handler  # what Lambda resolves for CallbackRouter's function
hooks = [func.__qualname__ for func, _, _ in snapshot_restore_py.get_after_restore()]
print(",".join(hooks))
"""


def test_the_regional_entry_point_registers_the_after_restore_hook() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        env={"PYTHONPATH": str(ROOT / "lambda"), "CALLBACK_ROUTER_CONFIG": '{"environments": ["sandbox-us"]}'},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "reseed_after_restore"


def test_environments_restored_from_one_snapshot_draw_different_numbers() -> None:
    from callback_router.snapstart import reseed_after_restore

    random.seed(1234)
    snapshot = random.getstate()
    draws = []
    for _ in range(2):  # two environments restored from the same snapshot
        random.setstate(snapshot)
        reseed_after_restore()
        draws.append(random.random())
    random.setstate(snapshot)
    assert draws[0] != draws[1]
    assert random.random() not in draws  # without the hook both would have drawn this number
