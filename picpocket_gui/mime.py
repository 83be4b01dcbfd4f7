"""Drag-and-drop payloads: image ids inside the app, file URLs for other apps."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl

IMAGE_IDS = "application/x-picpocket-image-ids"


def image_mime_data(ids: Iterable[int], paths: Iterable[Path]) -> QMimeData:
    """Return drag data naming images by id, and by file URL for other apps."""
    data = QMimeData()
    data.setData(IMAGE_IDS, json.dumps([int(id) for id in ids]).encode())
    data.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return data


def image_ids(data: QMimeData) -> list[int]:
    """Return the image ids carried by drag data, or an empty list."""
    if not data.hasFormat(IMAGE_IDS):
        return []
    try:
        ids = json.loads(bytes(data.data(IMAGE_IDS).data()).decode())
    except (UnicodeDecodeError, ValueError):
        return []
    return [id for id in ids if isinstance(id, int)]
