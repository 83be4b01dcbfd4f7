"""Item-data roles that the app's models add to Qt's standard ones."""

from __future__ import annotations

from PySide6.QtCore import Qt

_USER = int(Qt.ItemDataRole.UserRole)

# Image grid
ImageIdRole = _USER + 1
"""The image's id (int)."""
ImageRole = _USER + 2
"""The image's record (Image), or None while it loads."""
ReachableRole = _USER + 3
"""Whether the file can be read now (bool), or None while the record loads."""
ThumbnailStateRole = _USER + 4
"""One of the THUMBNAIL_* states below."""

# Tag tree
TagNameRole = _USER + 10
"""The tag's full name, such as "bird/goose" (str)."""
TagCountRole = _USER + 11
"""The number of images under the tag, descendants included (int)."""

# Locations
LocationRole = _USER + 20
"""The location's record (Location)."""
LocationIdRole = _USER + 21
"""The location's id (int)."""
ImageCountRole = _USER + 22
"""The number of images recorded in the location (int)."""

THUMBNAIL_LOADING = "loading"
THUMBNAIL_READY = "ready"
THUMBNAIL_FAILED = "failed"
THUMBNAIL_UNREACHABLE = "unreachable"
