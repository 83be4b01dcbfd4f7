"""The main loop of a reader process, which picpocket.database.reader_processes starts.

The process reads requests from its standard input and writes replies to
its standard output, both as pickles:

- first, unasked, the reply ("ready", process id);
- for each request (root folder, relative paths), the reply (list of
  FileRead, log records as dictionaries, warnings as (message, category,
  file name, line number)).

It ends when its standard input closes, which happens when the parent
shuts the pool down or dies.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import warnings
from typing import Any, BinaryIO

from picpocket.database.file_reads import read_files


class _Collector(logging.Handler):
    """Keep the log records of one request, to send them to the parent."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(portable_record(record))

    def take(self) -> list[dict[str, Any]]:
        records, self.records = self.records, []
        return records


def portable_record(record: logging.LogRecord) -> dict[str, Any]:
    """Return a record's attributes with its message formatted, ready to pickle."""
    attributes = dict(record.__dict__)
    attributes["msg"] = record.getMessage()
    attributes["args"] = None
    if record.exc_info:
        attributes["exc_text"] = logging.Formatter().formatException(record.exc_info)
    attributes["exc_info"] = None
    return attributes


def serve(requests: BinaryIO, replies: BinaryIO, collector: _Collector) -> None:
    """Read and reply to requests until the input ends."""
    while True:
        try:
            root, relatives = pickle.load(requests)
        except EOFError:
            return
        # Pillow reports damaged EXIF through warnings, which the parent
        # issues again, so that its own warning filters apply to them.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reads = read_files(root, relatives)
        issued = [
            (str(warning.message), warning.category, warning.filename, warning.lineno)
            for warning in caught
        ]
        reply = (reads, collector.take(), issued)
        pickle.dump(reply, replies, pickle.HIGHEST_PROTOCOL)
        replies.flush()


def main(level: int) -> None:
    """Serve the parent on standard input and output, logging at `level`."""
    # Readers yield the CPU to the program that started them, so that its
    # event loop, and a desktop app's screen, keep responding.
    if hasattr(os, "nice"):
        os.nice(10)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # Anything else printed goes to standard error, away from the replies.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    collector = _Collector()
    root_logger = logging.getLogger()
    root_logger.handlers[:] = [collector]
    root_logger.setLevel(level)
    try:
        pickle.dump(("ready", os.getpid()), replies, pickle.HIGHEST_PROTOCOL)
        replies.flush()
        serve(sys.stdin.buffer, replies, collector)
    except BrokenPipeError:
        # The parent went away mid-reply, so no one reads the reply.
        pass
