"""Start, wait for and kill the child processes that run workers.py."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

WORKERS = Path(__file__).with_name("workers.py")
MARKER_TIMEOUT = 20.0  # seconds until a worker must reach its pause point
FINISH_TIMEOUT = 60.0  # seconds until a worker must exit on its own
# A small camera JPEG; workers copy it with a number appended after its
# end-of-image marker, so every copy is a valid photo with its own hash.
SAMPLE_PHOTO = Path("jpg") / "Fujifilm_FinePix_E500.jpg"


class Worker:
    """A running workers.py child, with its output captured in files."""

    def __init__(self, folder: Path, arguments: list[str]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.marker = folder / "paused"
        self.stdout_path = folder / "stdout.txt"
        self.stderr_path = folder / "stderr.txt"
        command = [sys.executable, str(WORKERS), *arguments]
        command += ["--marker", str(self.marker)]
        with (
            self.stdout_path.open("wb") as stdout,
            self.stderr_path.open("wb") as stderr,
        ):
            self.process = subprocess.Popen(
                command, cwd=folder, stdout=stdout, stderr=stderr
            )

    def output(self) -> str:
        return self.stdout_path.read_text() + self.stderr_path.read_text()

    def wait_for_pause(self, timeout: float = MARKER_TIMEOUT) -> None:
        """Wait until the worker wrote its marker, failing if it exits first."""
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"worker exited with {self.process.returncode} before pausing:\n"
                    f"{self.output()}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"worker did not pause within {timeout} s")
            time.sleep(0.01)

    def kill(self) -> int:
        """Send SIGKILL and return the exit status (-9 when the signal ended it)."""
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=FINISH_TIMEOUT)

    def finish(self, timeout: float = FINISH_TIMEOUT) -> dict[str, Any]:
        """Wait for a normal exit and return the JSON object the worker printed."""
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"worker still ran after {timeout} s") from None
        if status != 0:
            raise AssertionError(f"worker exited with {status}:\n{self.output()}")
        lines = self.stdout_path.read_text().splitlines()
        return json.loads(lines[-1])


def start_worker(folder: Path, action: str, library: Path, *options: str) -> Worker:
    """Start workers.py ACTION LIBRARY OPTIONS..., its files kept in `folder`."""
    return Worker(folder, [action, str(library), *options])


def make_photos(folder: Path, photo_source: Path, count: int) -> list[Path]:
    """Write `count` distinct small JPEGs named photo-0000.jpg and so on."""
    folder.mkdir(parents=True, exist_ok=True)
    data = (photo_source / SAMPLE_PHOTO).read_bytes()
    paths = []
    for number in range(count):
        path = folder / f"photo-{number:04d}.jpg"
        path.write_bytes(data + number.to_bytes(4, "big"))
        paths.append(path)
    return paths


def visible_files(folder: Path) -> dict[str, bytes]:
    """Return every file under folder whose name does not start with a dot."""
    found = {}
    for directory, _folders, names in os.walk(folder):
        for name in names:
            if not name.startswith("."):
                path = Path(directory) / name
                found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


def hidden_files(folder: Path) -> list[str]:
    """Return the names of files under folder that start with a dot."""
    return sorted(
        name
        for _directory, _folders, names in os.walk(folder)
        for name in names
        if name.startswith(".")
    )


def sqlite_problems(database: Path) -> list[str]:
    """Return what PRAGMA integrity_check and foreign_key_check report, if anything."""
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
        problems = [row[0] for row in rows if row[0] != "ok"]
        keys = connection.execute("PRAGMA foreign_key_check").fetchall()
        problems += [f"foreign key: {row}" for row in keys]
    finally:
        connection.close()
    return problems
