"""Start the desktop app with `python -m picpocket_gui`."""

import sys

from picpocket_gui.launcher import main

if __name__ == "__main__":
    sys.exit(main())
