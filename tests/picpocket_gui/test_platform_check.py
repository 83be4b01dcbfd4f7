"""Tests for the check of Qt's xcb platform plugin and its libraries."""

import subprocess
import sys

import pytest

from picpocket_gui import platform_check

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x00007f27)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f27)
"""

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the xcb plugin exists on Linux only"
)


def fake_loader(missing):
    """Return a loader that fails for the library names in `missing`."""

    def load(name):
        if name in missing:
            raise OSError(f"{name}: cannot open shared object file")
        return object()

    return load


def test_parse_ldd_not_found():
    assert platform_check.parse_ldd_output(LDD_OUTPUT) == [
        "libxcb-icccm.so.4",
        "libxcb-keysyms.so.1",
    ]


def test_parse_ldd_complete():
    assert (
        platform_check.parse_ldd_output("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []
    )


def test_loader_names_missing():
    libraries = ["libxcb-cursor.so.0", "libpicpocket-absent.so.9", "libGL.so.1"]
    loader = fake_loader({"libpicpocket-absent.so.9"})
    assert platform_check.missing_with_loader(libraries, loader) == [
        "libpicpocket-absent.so.9"
    ]


def test_loader_real_absent_library():
    missing = platform_check.missing_with_loader(["libpicpocket-absent.so.9"])
    assert missing == ["libpicpocket-absent.so.9"]


def test_message_names_library_and_package():
    message = platform_check.explain_missing(["libxcb-icccm.so.4"])
    assert "libxcb-icccm.so.4 (package libxcb-icccm4)" in message
    assert platform_check.APT_INSTALL_COMMAND in message


def test_message_unknown_library():
    message = platform_check.explain_missing(["libpicpocket-absent.so.9"])
    assert "libpicpocket-absent.so.9" in message


def test_apt_command_lists_packages():
    packages = platform_check.APT_INSTALL_COMMAND.split()[2:]
    assert platform_check.APT_INSTALL_COMMAND.startswith("sudo apt install ")
    assert "libxcb-cursor0" in packages
    assert len(packages) == len(set(packages))


@pytest.mark.parametrize(
    ("environ", "arguments", "expected"),
    [
        ({}, [], True),
        ({"QT_QPA_PLATFORM": "xcb"}, [], True),
        ({"QT_QPA_PLATFORM": "offscreen"}, [], False),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, [], False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, [], False),
        ({"WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, [], True),
        ({"QT_QPA_PLATFORM": "xcb"}, ["-platform", "offscreen"], False),
        ({}, ["-platform", "xcb"], True),
    ],
)
@linux_only
def test_uses_xcb(environ, arguments, expected):
    assert platform_check.uses_xcb(environ, arguments) is expected


@linux_only
def test_check_names_missing(monkeypatch, tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.touch()
    monkeypatch.setattr(platform_check, "xcb_plugin_path", lambda: plugin)
    monkeypatch.setattr(platform_check, "missing_with_ldd", lambda path: None)
    monkeypatch.setattr(
        platform_check,
        "XCB_LIBRARY_PACKAGES",
        {"libGL.so.1": "libgl1", "libpicpocket-absent.so.9": "picpocket-absent9"},
    )
    message = platform_check.check_platform({"QT_QPA_PLATFORM": "xcb"})
    assert message is not None
    assert "libpicpocket-absent.so.9 (package picpocket-absent9)" in message
    assert "libGL.so.1" not in message


@linux_only
def test_check_skips_offscreen(monkeypatch):
    monkeypatch.setattr(
        platform_check, "missing_libraries", lambda plugin: ["libxcb-icccm.so.4"]
    )
    assert platform_check.check_platform({"QT_QPA_PLATFORM": "offscreen"}) is None


@linux_only
def test_check_complete_libraries(monkeypatch, tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.touch()
    monkeypatch.setattr(platform_check, "xcb_plugin_path", lambda: plugin)
    monkeypatch.setattr(platform_check, "missing_libraries", lambda path: [])
    assert platform_check.check_platform({"QT_QPA_PLATFORM": "xcb"}) is None


@linux_only
def test_plugin_found():
    plugin = platform_check.xcb_plugin_path()
    assert plugin is not None
    assert plugin.name == "libqxcb.so"


@linux_only
def test_ldd_on_real_plugin():
    plugin = platform_check.xcb_plugin_path()
    missing = platform_check.missing_with_ldd(plugin)
    # Whatever this machine lacks, the result is a list of library names.
    assert missing is None or all(".so" in name for name in missing)


@linux_only
def test_qt_failure_explained(tmp_path):
    # Qt itself fails here: xcb without a display server. The handler turns
    # Qt's abort into an exit with status 1 and Qt's message on stderr.
    script = (
        "from PySide6.QtWidgets import QApplication\n"
        "from picpocket_gui import platform_check\n"
        "platform_check.install_failure_handler()\n"
        "QApplication([])\n"
    )
    environment = {
        "QT_QPA_PLATFORM": "xcb",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == platform_check.EXIT_CODE
    assert "platform plugin" in result.stderr
