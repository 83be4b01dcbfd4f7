"""Explain a Qt xcb platform plugin that cannot load, instead of a bare abort.

Qt's xcb plugin links against X libraries that minimal Linux systems lack.
When one is missing, Qt prints a generic message and aborts, so the app
checks the plugin's libraries before it creates the QApplication.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QtMsgType, qInstallMessageHandler

logger = logging.getLogger(__name__)

# Shared libraries that Qt 6's xcb plugin loads and that a minimal Debian
# or Ubuntu system may lack, with the package providing each (checked with
# `dpkg -S` on Debian 12; the names are the same on Ubuntu 22.04 and 24.04).
XCB_LIBRARY_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-util.so.1": "libxcb-util1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
}
APT_INSTALL_COMMAND = "sudo apt install " + " ".join(
    dict.fromkeys(XCB_LIBRARY_PACKAGES.values())
)
EXIT_CODE = 1
LDD_TIMEOUT = 10  # seconds

Loader = Callable[[str], object]


def xcb_plugin_path() -> Path | None:
    """Return the path of Qt's xcb platform plugin, or None when it is absent."""
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    path = plugins / "platforms" / "libqxcb.so"
    return path if path.is_file() else None


def requested_platform(environ: Mapping[str, str], qt_arguments: Sequence[str]) -> str:
    """Return the platform requested from Qt: `-platform`, else QT_QPA_PLATFORM."""
    for index, argument in enumerate(qt_arguments[:-1]):
        if argument in ("-platform", "--platform"):
            return qt_arguments[index + 1]
    return environ.get("QT_QPA_PLATFORM", "")


def uses_xcb(environ: Mapping[str, str], qt_arguments: Sequence[str] = ()) -> bool:
    """Return whether Qt will load the xcb plugin, with no plugin to fall back on."""
    if not sys.platform.startswith("linux"):
        return False
    platform = requested_platform(environ, qt_arguments)
    if platform:
        # "wayland;xcb" names fallbacks; only a plain xcb request depends on xcb.
        return platform.split(":")[0] == "xcb"
    # With no request, Qt may pick its wayland plugin in a Wayland session,
    # depending on the Qt version and the desktop, so only Qt's own failure
    # is explained there (see install_failure_handler).
    return not environ.get("WAYLAND_DISPLAY")


def parse_ldd_output(output: str) -> list[str]:
    """Return the library names that `ldd` output reports as "not found"."""
    missing = []
    for line in output.splitlines():
        name, separator, location = line.strip().partition("=>")
        if separator and location.strip() == "not found":
            missing.append(name.strip())
    return list(dict.fromkeys(missing))


def missing_with_ldd(plugin: Path) -> list[str] | None:
    """Return the plugin's libraries that ldd cannot find; None when ldd is absent."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        result = subprocess.run(
            [ldd, str(plugin)],
            capture_output=True,
            text=True,
            timeout=LDD_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.warning("Could not run ldd on %s: %s", plugin, error)
        return None
    return parse_ldd_output(result.stdout)


def missing_with_loader(
    libraries: Iterable[str], loader: Loader = ctypes.CDLL
) -> list[str]:
    """Return the libraries in `libraries` that `loader` fails to load."""
    missing = []
    for library in libraries:
        try:
            loader(library)
        except OSError:
            missing.append(library)
    return missing


def missing_libraries(plugin: Path) -> list[str]:
    """Return the shared libraries that keep `plugin` from loading."""
    missing = missing_with_ldd(plugin)
    if missing is None:
        missing = missing_with_loader(XCB_LIBRARY_PACKAGES)
    return missing


def explain_missing(missing: Sequence[str]) -> str:
    """Return the message that names the missing libraries and how to install them."""
    lines = [
        f"    {library} (package {XCB_LIBRARY_PACKAGES[library]})"
        if library in XCB_LIBRARY_PACKAGES
        else f"    {library}"
        for library in missing
    ]
    return (
        "PicPocket cannot open a window, because Qt's xcb platform plugin needs "
        "these shared libraries and they are missing:\n"
        + "\n".join(lines)
        + "\n\nOn Debian and Ubuntu, install them with:\n\n"
        + f"    {APT_INSTALL_COMMAND}\n\n"
        "On other systems, install the packages that provide these files. "
        "In a Wayland session, setting QT_QPA_PLATFORM=wayland uses Wayland instead."
    )


def check_platform(
    environ: Mapping[str, str] = os.environ, qt_arguments: Sequence[str] = ()
) -> str | None:
    """Return a message explaining why the xcb plugin cannot load, or None."""
    if not uses_xcb(environ, qt_arguments):
        return None
    plugin = xcb_plugin_path()
    if plugin is None:
        return None
    missing = missing_libraries(plugin)
    if not missing:
        return None
    logger.error("Qt's xcb plugin %s lacks %s", plugin, ", ".join(missing))
    return explain_missing(missing)


def exit_if_unusable(qt_arguments: Sequence[str] = ()) -> None:
    """Exit with an explanation when Qt's xcb plugin lacks shared libraries."""
    message = check_platform(os.environ, qt_arguments)
    if message is not None:
        print(message, file=sys.stderr)
        raise SystemExit(EXIT_CODE)


def install_failure_handler() -> None:
    """Explain Qt's own "could not load the platform plugin" failure, then exit.

    The previous Qt message handler still receives every message.
    """
    previous = qInstallMessageHandler(None)

    def handle(kind: QtMsgType, context: object, message: str) -> None:
        if previous is not None:
            previous(kind, context, message)
        if kind == QtMsgType.QtFatalMsg and "platform plugin" in message:
            _exit_after_plugin_failure(message)

    qInstallMessageHandler(handle)


def _exit_after_plugin_failure(message: str) -> None:
    plugin = xcb_plugin_path()
    missing = missing_libraries(plugin) if plugin is not None else []
    print(message.strip(), file=sys.stderr)
    if missing:
        logger.error("Qt's xcb plugin %s lacks %s", plugin, ", ".join(missing))
        print(explain_missing(missing), file=sys.stderr)
    logging.shutdown()
    # Qt aborts after a fatal message, which would dump core for a
    # configuration problem; exiting here skips that.
    os._exit(EXIT_CODE)
