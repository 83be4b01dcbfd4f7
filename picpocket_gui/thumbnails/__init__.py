"""Thumbnails for the desktop app: disk cache, Pillow workers and a Qt loader.

ThumbnailLoader is imported on first use, so the worker processes, which
import only `render` and `cache`, never load Qt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from picpocket_gui.thumbnails.loader import ThumbnailLoader

__all__ = ["ThumbnailLoader"]


def __getattr__(name: str) -> Any:
    if name == "ThumbnailLoader":
        from picpocket_gui.thumbnails.loader import ThumbnailLoader

        return ThumbnailLoader
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
