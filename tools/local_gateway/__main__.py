"""``python -m tools.local_gateway``: see :mod:`tools.local_gateway.cli`."""

from __future__ import annotations

import os
import sys

from tools.local_gateway.cli import main

if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Ctrl-C reaches jsii's node process too (same process group), so its atexit hook would only
    # print a BrokenPipeError traceback at the end: everything is stopped already, leave directly.
    os._exit(code)
