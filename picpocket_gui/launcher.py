"""The `picpocket-gui` script's entry point, light enough for worker processes.

Thumbnail workers are started with the "spawn" method, which imports the
parent's main script again. That script imports this module, so it must
not load Qt: the app is imported only when `main` runs.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Start the desktop app and return its exit status."""
    # A frozen (PyInstaller) build starts workers through this executable.
    multiprocessing.freeze_support()
    from picpocket_gui.app import main as run_app

    return run_app(argv)
