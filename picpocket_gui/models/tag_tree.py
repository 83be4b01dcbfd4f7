"""The tag tree: nested tags with the number of images under each."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from picpocket_gui.mime import IMAGE_IDS, image_ids
from picpocket_gui.models.roles import TagCountRole, TagNameRole

logger = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

SEPARATOR = "/"

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


@dataclass(eq=False)
class _TagNode:
    """One level of a tag name, with the tags nested below it."""

    label: str
    name: str
    description: str | None = None
    count: int = 0
    parent: _TagNode | None = None
    row: int = 0
    children: list[_TagNode] = field(default_factory=list)

    def walk(self) -> Iterator[_TagNode]:
        for child in self.children:
            yield child
            yield from child.walk()


class TagTreeModel(QAbstractItemModel):
    """Every tag, nested by level, with its description and image count.

    Image ids dropped on a tag are passed on through `images_dropped`.
    The model never changes the library itself.
    """

    images_dropped = Signal(str, list)

    def __init__(self, api: Any, parent: QObject | None = None):
        super().__init__(parent)
        self._api = api
        self._root = _TagNode("", "")
        self._serial = 0

    async def reload(self) -> None:
        """Read the tags and their counts again and reset the model."""
        self._serial += 1
        serial = self._serial
        tree = await self._api.all_tags()
        counts = await self._api.tag_counts()
        if serial != self._serial:
            return
        root = _TagNode("", "")
        _add_children(root, tree, counts)
        self.beginResetModel()
        # Indexes point at nodes without owning them, so the old tree stays
        # alive until the reset has invalidated every index into it.
        previous, self._root = self._root, root
        self.endResetModel()
        del previous
        logger.debug("Loaded %d tags", sum(1 for _ in root.walk()))

    def tag_names(self) -> list[str]:
        """Return the full name of every tag in the tree, parents before children."""
        return [node.name for node in self._root.walk()]

    def index_of_tag(self, name: str) -> QModelIndex:
        """Return the index of a tag by its full name, or an invalid index."""
        node = self._root
        for label in name.strip(SEPARATOR).split(SEPARATOR):
            found = [child for child in node.children if child.label == label]
            if not found:
                return QModelIndex()
            node = found[0]
        return self.createIndex(node.row, 0, node)

    # Qt model interface ------------------------------------------------

    def index(
        self, row: int, column: int, parent: ModelIndex = QModelIndex()
    ) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column, self._node(parent).children[row])

    def parent(self, child: ModelIndex | None = None) -> Any:  # type: ignore[override]
        if child is None:
            # Called as QObject.parent().
            return super().parent()
        if not child.isValid():
            return QModelIndex()
        node = self._node(child).parent
        if node is None or node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, 0, node)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        if parent.column() > 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 1

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        if role == _DISPLAY:
            return f"{node.label} ({node.count})"
        if role == _TOOLTIP:
            return node.description or None
        if role == TagNameRole:
            return node.name
        if role == TagCountRole:
            return node.count
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if (
            section == 0
            and orientation == Qt.Orientation.Horizontal
            and role == _DISPLAY
        ):
            return "Tag (count)"
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = (
            Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsDropEnabled
        )
        if not self._node(index).children:
            flags |= Qt.ItemFlag.ItemNeverHasChildren
        return flags

    # Dropping images on a tag --------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [IMAGE_IDS]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def canDropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: ModelIndex,
    ) -> bool:
        # Only a drop onto a tag (row -1) counts. A drop between two tags
        # would otherwise land on their parent, which the user did not aim at.
        return row == -1 and parent.isValid() and bool(image_ids(data))

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: ModelIndex,
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        if action == Qt.DropAction.IgnoreAction:
            return True
        ids = image_ids(data)
        name = self._node(parent).name
        logger.debug("Dropped %d images on tag %r", len(ids), name)
        self.images_dropped.emit(name, ids)
        return True

    def _node(self, index: ModelIndex) -> _TagNode:
        if not index.isValid():
            return self._root
        return index.internalPointer()


def _add_children(
    parent: _TagNode, level: dict[str, Any], counts: dict[str, int]
) -> None:
    """Add the tags of one level of all_tags() below `parent`, sorted by name."""
    for label in sorted(level, key=lambda text: (text.casefold(), text)):
        entry = level[label]
        name = f"{parent.name}{SEPARATOR}{label}" if parent.name else label
        node = _TagNode(
            label=label,
            name=name,
            description=entry.get("description"),
            count=counts.get(name, 0),
            parent=parent,
            row=len(parent.children),
        )
        parent.children.append(node)
        _add_children(node, entry.get("children") or {}, counts)
