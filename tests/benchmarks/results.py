"""Benchmark figures: the printed table, the machine facts and RESULTS.md."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.postgres_server import PostgresServer

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass
class Figure:
    """One measured value, with its target when it has one."""

    backend: str
    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None
    decimals: int = 1

    @property
    def status(self) -> str:
        """PASS, MISS, or empty for a figure without a target."""
        if self.passed is None:
            return ""
        return "PASS" if self.passed else "MISS"

    def formatted(self) -> str:
        return f"{self.value:,.{self.decimals}f} {self.unit}".strip()


@dataclass
class Report:
    """Figures of one benchmark run, printable as text or as Markdown."""

    title: str
    command: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Taken when the run starts, because the run itself loads the machine.
    load_at_start: str = field(default_factory=lambda: load_average())

    def add(self, *args: Any, **kwargs: Any) -> Figure:
        figure = Figure(*args, **kwargs)
        self.figures.append(figure)
        return figure

    def rows(self) -> list[tuple[str, ...]]:
        return [
            (f.backend, f.name, f.formatted(), f.target, f.status) for f in self.figures
        ]

    def text_table(self) -> str:
        """Return the figures as a plain aligned table."""
        header = ("backend", "measure", "value", "target", "status")
        rows = [header, *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths))
            for row in rows
        ]
        lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join(line.rstrip() for line in lines)

    def markdown(self, machine: dict[str, str]) -> str:
        """Return a RESULTS.md section: command, date, machine and figures."""
        facts = machine.items()
        lines = [
            f"## {self.title}",
            "",
            f"- Command: `{self.command}`",
            f"- Date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            "- Machine: " + "; ".join(f"{key}: {value}" for key, value in facts),
            "",
            "| backend | measure | value | target | status |",
            "| --- | --- | ---: | --- | --- |",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows()]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)


def machine_facts(server: PostgresServer | None) -> dict[str, str]:
    """Return the facts about this machine that a figure depends on."""
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "CPU": cpu_model(),
        "RAM": f"{memory_gib():.1f} GiB",
        "Python": platform.python_version(),
        "SQLite": sqlite_version(),
        "PostgreSQL": postgres_version(server),
        "Pillow": pillow_version(),
        "engine": engine_revision(),
    }


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def load_average() -> str:
    try:
        with open("/proc/loadavg", encoding="utf-8") as loadavg:
            return " ".join(loadavg.read().split()[:3])
    except OSError:
        return "unknown"


def engine_revision() -> str:
    """Return the git commit of the measured picpocket, marked when it has changes.

    The package is located through its import, so a run from another
    checkout names that checkout's commit.
    """
    import picpocket

    package = Path(picpocket.__file__).resolve().parent
    git = ["git", "-C", str(package.parent)]
    try:
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--", package.name],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} with uncommitted changes" if changed else commit


def sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def pillow_version() -> str:
    import PIL

    return PIL.__version__


def postgres_version(server: PostgresServer | None) -> str:
    if server is None:
        return "not run"
    import psycopg

    with psycopg.connect(**server.connection_info("postgres")) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return "unknown" if row is None else str(row[0])


def update_results(section: str, text: str, path: Path = RESULTS_PATH) -> None:
    """Replace the marked section `section` of RESULTS.md, or append it."""
    start = f"<!-- {section}: start -->"
    end = f"<!-- {section}: end -->"
    block = f"{start}\n{text}\n{end}"
    page = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in page and end in page:
        before, rest = page.split(start, 1)
        after = rest.split(end, 1)[1]
        page = before + block + after
    else:
        page = page.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(page, encoding="utf-8")


def command_line() -> str:
    """Return the command that started this process, as a user would type it."""
    module = sys.modules["__main__"].__spec__
    program = f"-m {module.name}" if module is not None else sys.argv[0]
    return " ".join(["python", program, *sys.argv[1:]])


def publish(
    report: Report, section: str, write: bool, server: PostgresServer | None
) -> None:
    """Print the report's table and, when `write` is set, store it in RESULTS.md."""
    print(f"\n{report.title}\n")
    print(report.text_table())
    for note in report.notes:
        print(f"\n{note}")
    if write:
        machine = machine_facts(server)
        machine["load average at start"] = report.load_at_start
        update_results(section, report.markdown(machine))
        print(f"\nUpdated {RESULTS_PATH}")
