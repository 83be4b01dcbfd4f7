"""Backends found by name through the `picpocket.backends` entry-point group."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from picpocket.errors import InputValidationError, PicPocketError

GROUP = "picpocket.backends"


def available_backends() -> dict[str, metadata.EntryPoint]:
    """Return the registered backends by name."""
    return {entry.name: entry for entry in metadata.entry_points(group=GROUP)}


def load_backend(name: str) -> Any:
    """Return the backend class registered under `name`.

    Raises:
        InputValidationError: no backend has that name.
        PicPocketError: the backend is registered but its code failed to
            import.
    """
    backends = available_backends()
    entry = backends.get(name)
    if entry is None:
        known = ", ".join(sorted(backends)) or "none (is PicPocket installed?)"
        raise InputValidationError(
            f"Unknown backend {name!r}. Known backends: {known}"
        )
    try:
        return entry.load()
    except (ImportError, AttributeError) as error:
        raise PicPocketError(
            f"Backend {name!r} is registered as {entry.value!r}, but loading it "
            f"failed: {error}. Reinstall the package that provides it"
        ) from error
