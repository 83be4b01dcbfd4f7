"""The tag tree beside the grid: pick tags to filter by, edit tags, drop images on them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from picpocket_gui.background import spawn
from picpocket_gui.models.roles import TagNameRole
from picpocket_gui.models.tag_tree import TagTreeModel

logger = logging.getLogger(__name__)

MODES = (
    ("any", "Any of the selected tags"),
    ("all", "All of the selected tags"),
    ("exclude", "None of the selected tags"),
)


@dataclass(frozen=True)
class TagFilter:
    """The tags picked in the tree and how they combine."""

    mode: str = "any"
    tags: tuple[str, ...] = ()

    def arguments(self) -> dict[str, tuple[str, ...]]:
        """Return the SearchBar.set_tag_filter keyword for this filter."""
        key = {"any": "any_tags", "all": "all_tags", "exclude": "no_tags"}[self.mode]
        return {key: self.tags}


class TagPanel(QWidget):
    """A tree of tags with counts, a mode for several picked tags, and tag editing."""

    filter_changed = Signal(object)
    tags_changed = Signal()

    def __init__(self, api: Any, model: TagTreeModel, parent: QWidget | None = None):
        super().__init__(parent)
        self._api = api
        self.model = model
        self._descriptions: dict[str, str | None] = {}
        self.view = self._build_view(model)
        self.mode = QComboBox()
        for key, label in MODES:
            self.mode.addItem(label, key)
        self.mode.setToolTip("How several selected tags filter the photos")
        self.mode.currentIndexChanged.connect(self._emit_filter)
        clear = QPushButton("Clear")
        clear.setToolTip("Show photos regardless of tags")
        clear.clicked.connect(self.view.clearSelection)
        row = QHBoxLayout()
        row.addWidget(QLabel("Show"))
        row.addWidget(self.mode, 1)
        row.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)

    def _build_view(self, model: TagTreeModel) -> QTreeView:
        view = QTreeView()
        view.setModel(model)
        view.setHeaderHidden(True)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        view.setAcceptDrops(True)
        view.setDropIndicatorShown(True)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._show_menu)
        view.selectionModel().selectionChanged.connect(self._emit_filter)
        model.modelReset.connect(self._after_reset)
        return view

    def current_filter(self) -> TagFilter:
        """Return the picked tags and the chosen mode."""
        names = [
            index.data(TagNameRole) for index in self.view.selectionModel().selectedRows()
        ]
        return TagFilter(self.mode.currentData(), tuple(sorted(set(names))))

    def _emit_filter(self, *_: object) -> None:
        self.filter_changed.emit(self.current_filter())

    def _after_reset(self) -> None:
        self.view.expandToDepth(0)

    async def reload(self) -> None:
        """Read the tags, their counts and descriptions again."""
        await self.model.reload()
        self._descriptions = _flatten(await self._api.all_tags())

    def tag_names(self) -> set[str]:
        """Return every tag name known at the last reload, implied parents included."""
        return set(self._descriptions)

    # Editing ---------------------------------------------------------

    def _show_menu(self, point: QPoint) -> None:
        index = self.view.indexAt(point)
        name = index.data(TagNameRole) if index.isValid() else None
        menu = QMenu(self)
        menu.addAction("Add tag…", lambda: self.ask_add_tag(None))
        if name:
            menu.addAction("Add child tag…", lambda: self.ask_add_tag(name))
            menu.addSeparator()
            menu.addAction("Rename or move…", lambda: self.ask_move_tag(name))
            menu.addAction("Merge into…", lambda: self.ask_merge_tag(name))
            menu.addAction("Edit description…", lambda: self.ask_describe_tag(name))
            menu.addSeparator()
            menu.addAction("Delete…", lambda: self.ask_remove_tag(name))
        menu.exec(self.view.viewport().mapToGlobal(point))

    def ask_add_tag(self, parent_name: str | None) -> None:
        """Ask for a new tag's name, under `parent_name` when given, and add it."""
        label = f"New tag under {parent_name}:" if parent_name else "New tag:"
        text = self.ask_text("Add tag", label, "")
        if text:
            name = f"{parent_name}/{text}" if parent_name else text
            self._run(self.add_tag(name), f"add tag {name}")

    def ask_move_tag(self, name: str) -> None:
        """Ask for a tag's new full name and move it with its children."""
        new = self.ask_text(
            "Rename or move tag",
            f"New full name for {name!r} (use / for levels; children move with it):",
            name,
        )
        if new and new != name:
            self._run(self.move_tag(name, new), f"move tag {name} to {new}")

    def ask_merge_tag(self, name: str) -> None:
        """Ask which tag to merge `name` into, and merge them."""
        names = sorted(self.tag_names() - {name})
        target, accepted = QInputDialog.getItem(
            self, "Merge tag", f"Merge {name!r} and its children into:", names, 0, True
        )
        if accepted and target and target != name:
            self._run(self.move_tag(name, target), f"merge tag {name} into {target}")

    def ask_describe_tag(self, name: str) -> None:
        """Ask for a tag's description and save it."""
        current = self._descriptions.get(name) or ""
        text = self.ask_text("Edit description", f"Description of {name!r}:", current)
        if text is not None and text != current:
            self._run(self.describe_tag(name, text or None), f"describe tag {name}")

    def ask_remove_tag(self, name: str) -> None:
        """Ask whether to remove a tag alone or with its children, then remove it."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Delete tag")
        box.setText(f"Delete the tag {name!r}? Photos stay; only the tag goes.")
        alone = box.addButton("Delete, keep child tags", QMessageBox.ButtonRole.AcceptRole)
        both = box.addButton("Delete with child tags", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() in (alone, both):
            cascade = box.clickedButton() is both
            self._run(self.remove_tag(name, cascade), f"delete tag {name}")

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        """Return text the user typed, or None when cancelled."""
        value, accepted = QInputDialog.getText(self, title, label, text=text)
        return value.strip() if accepted else None

    async def add_tag(self, name: str, description: str | None = None) -> None:
        """Add a tag and show it."""
        await self._api.add_tag(name, description)
        await self._changed()

    async def move_tag(self, name: str, new: str) -> None:
        """Move or merge a tag, children included, and show the result."""
        await self._api.move_tag(name, new, cascade=True)
        await self._changed()

    async def describe_tag(self, name: str, description: str | None) -> None:
        """Save a tag's description."""
        await self._api.add_tag(name, description)
        await self._changed()

    async def remove_tag(self, name: str, cascade: bool) -> None:
        """Remove a tag, and its children when `cascade` is true."""
        await self._api.remove_tag(name, cascade=cascade)
        await self._changed()

    async def _changed(self) -> None:
        await self.reload()
        self.tags_changed.emit()

    def _run(self, coroutine: Any, name: str) -> None:
        spawn(coroutine, name=name)



def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str | None]:
    """Return {full name: description} for the nested tree from all_tags()."""
    names: dict[str, str | None] = {}
    for part, node in tree.items():
        name = f"{prefix}{part}"
        names[name] = node["description"]
        names.update(_flatten(node["children"], f"{name}/"))
    return names
