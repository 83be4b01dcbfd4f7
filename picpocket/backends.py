"""Backends found by name through the `picpocket.backends` entry-point group."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from picpocket.errors import InputValidationError

GROUP = "picpocket.backends"


def available_backends() -> dict[str, metadata.EntryPoint]:
    """Return the registered backends by name."""
    return {entry.name: entry for entry in metadata.entry_points(group=GROUP)}


def load_backend(name: str) -> Any:
    """Return the backend class registered under `name`.

    Raises:
        InputValidationError: no backend has that name.
    """
    backends = available_backends()
    entry = backends.get(name)
    if entry is None:
        known = ", ".join(sorted(backends)) or "none (is PicPocket installed?)"
        raise InputValidationError(f"Unknown backend {name!r}; known backends: {known}")
    return entry.load()
