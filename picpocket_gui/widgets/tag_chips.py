"""Tag chips: a wrapping layout, a removable chip, and the search bar's tag filter."""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QSize, QStringListModel, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

logger = logging.getLogger(__name__)


class FlowLayout(QLayout):
    """A layout that places widgets left to right and wraps them into rows."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def insertWidget(self, index: int, widget: QWidget) -> None:
        """Insert a widget before the item at index."""
        self.addChildWidget(widget)
        self.addWidget(widget)
        item = self._items.pop()
        self._items.insert(index, item)
        self.invalidate()

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(
            margins.left() + margins.right(), margins.top() + margins.bottom()
        )

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        """Place the items in rows inside rect and return the height they need."""
        margins = self.contentsMargins()
        area = rect.adjusted(
            margins.left(), margins.top(), -margins.right(), -margins.bottom()
        )
        x, y, row_height = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x = area.x()
                y += row_height + self._spacing
                row_height = 0
            if move:
                width = min(hint.width(), area.width())
                item.setGeometry(QRect(QPoint(x, y), QSize(width, hint.height())))
            x += hint.width() + self._spacing
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + margins.bottom()


class TagLineEdit(QLineEdit):
    """A line edit that completes tag names and emits each tag entered.

    `tag_entered` carries the typed text, or the completion the user
    picked, with surrounding spaces and slashes removed. The line edit
    is cleared before it is emitted.
    """

    tag_entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = QStringListModel(self)
        completer = QCompleter(self._names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompleter(completer)
        self.returnPressed.connect(self._on_return_pressed)
        completer.activated.connect(self._on_completer_activated)

    def set_tag_names(self, names: Iterable[str]) -> None:
        """Offer these tag names as completions."""
        self._names.setStringList(sorted(set(names), key=str.casefold))

    def _on_return_pressed(self) -> None:
        popup = self.completer().popup()
        if popup.isVisible() and popup.currentIndex().isValid():
            # Enter on a highlighted completion also emits `activated`
            # with the completion, which is the tag the user chose.
            return
        self._enter(self.text())

    def _on_completer_activated(self, text: str) -> None:
        self._enter(text)

    def _enter(self, text: str) -> None:
        self.clear()
        tag = text.strip().strip("/")
        if tag:
            self.tag_entered.emit(tag)


class ElidedLabel(QLabel):
    """A one-line label that elides its text in the middle when it is too narrow."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        shortest = self.fontMetrics().horizontalAdvance("abc…xyz")
        return QSize(min(hint.width(), shortest), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideMiddle, rect.width()
        )
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            rect,
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            text,
            self.foregroundRole(),
        )
        painter.end()


class Chip(QFrame):
    """A rounded label with an optional badge and a remove button.

    A click on the chip, or Space or Enter while it has focus, emits
    `clicked`. The × button, Delete or Backspace emits `remove_requested`.
    """

    clicked = Signal()
    remove_requested = Signal()

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chip")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.badge = QLabel()
        self.badge.setObjectName("badge")
        self.badge.hide()
        self.label = ElidedLabel(text)
        self.label.setObjectName("text")
        self.remove_button = QToolButton()
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.remove_button.setCursor(Qt.CursorShape.ArrowCursor)
        self.remove_button.clicked.connect(self.remove_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(7, 1, 1, 1)
        layout.setSpacing(4)
        layout.addWidget(self.badge)
        layout.addWidget(self.label)
        layout.addWidget(self.remove_button)

    def set_text(self, text: str) -> None:
        """Set the chip's main text."""
        self.label.setText(text)

    def set_badge(self, text: str | None) -> None:
        """Show a short badge before the text, or hide it when text is None."""
        self.badge.setText(text or "")
        self.badge.setVisible(bool(text))

    def set_colors(self, background: str, border: str, *, dashed: bool = False) -> None:
        """Set the chip's fill and border colours (any CSS colour)."""
        style = "dashed" if dashed else "solid"
        self.setStyleSheet(
            f"QFrame#chip {{ background: {background}; border: 1px {style} {border};"
            f" border-radius: 10px; }}"
            f"QFrame#chip:focus {{ border: 2px solid palette(highlight); }}"
            f"QLabel#text {{ color: #1e1e1e; }}"
            f"QLabel#badge {{ color: {border}; font-weight: bold; }}"
            f"QToolButton {{ color: #404040; border: none; padding: 0 3px; }}"
            f"QToolButton:hover {{ color: #b00020; }}"
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.clicked.emit()
            event.accept()
            return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.clicked.emit()
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_requested.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()


class TagMode(enum.Enum):
    """Filter mode of a tag chip: the image must have it, any of them, or not it."""

    ALL = "all"
    ANY = "any"
    EXCLUDE = "exclude"


@dataclass(frozen=True)
class _ModeLook:
    badge: str
    menu_label: str
    tooltip: str
    background: str
    border: str


_MODE_LOOK = {
    TagMode.ALL: _ModeLook(
        "ALL", "Must have this tag", "Images must have {}", "#dcefdc", "#2f7d3a"
    ),
    TagMode.ANY: _ModeLook(
        "ANY",
        "Any of these tags",
        "Images must have {} or another ANY tag",
        "#dbe7f7",
        "#2e62a8",
    ),
    TagMode.EXCLUDE: _ModeLook(
        "NOT", "Exclude this tag", "Images must not have {}", "#f6dddd", "#a8302e"
    ),
}


class TagChipsEdit(QWidget):
    """Tag filter chips with a mode each, and a line edit that adds chips.

    Enter in the line edit (or picking a completion) adds the tag with
    mode ALL. Clicking a chip opens a menu to change its mode or remove
    it, and its × removes it at once. `chips_changed` is emitted after
    every change made by the user or by the methods here.
    """

    chips_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._modes: dict[str, TagMode] = {}
        self._chips: dict[str, Chip] = {}
        self.entry = TagLineEdit()
        self.entry.setPlaceholderText("Filter by tag…")
        self.entry.setToolTip("Type a tag and press Enter to filter by it")
        self.entry.setMinimumWidth(150)
        self.entry.tag_entered.connect(self.add_chip)
        self._flow = FlowLayout(self)
        self._flow.addWidget(self.entry)

    def set_tag_names(self, names: Iterable[str]) -> None:
        """Offer these tag names as completions."""
        self.entry.set_tag_names(names)

    def chips(self) -> list[tuple[str, TagMode]]:
        """Return the tags and their modes, in the order they were added."""
        return list(self._modes.items())

    def tags(self, mode: TagMode) -> tuple[str, ...]:
        """Return the tags with the given mode."""
        return tuple(tag for tag, chip_mode in self._modes.items() if chip_mode is mode)

    def set_chips(
        self,
        all_tags: Iterable[str] = (),
        any_tags: Iterable[str] = (),
        no_tags: Iterable[str] = (),
    ) -> None:
        """Replace every chip. A tag in several lists gets the last list's mode."""
        for tag in list(self._modes):
            self._drop_chip(tag)
        groups = (
            (all_tags, TagMode.ALL),
            (any_tags, TagMode.ANY),
            (no_tags, TagMode.EXCLUDE),
        )
        for tags, mode in groups:
            for tag in tags:
                self._put_chip(tag, mode)
        self.chips_changed.emit()

    def add_chip(self, tag: str, mode: TagMode = TagMode.ALL) -> None:
        """Add a chip, or change the mode of the chip the tag already has."""
        if self._put_chip(tag, mode):
            self.chips_changed.emit()

    def remove_chip(self, tag: str) -> None:
        """Remove the tag's chip, if it has one."""
        if tag in self._modes:
            self._drop_chip(tag)
            self.chips_changed.emit()

    def set_mode(self, tag: str, mode: TagMode) -> None:
        """Change the mode of an existing chip."""
        if tag in self._modes and self._modes[tag] is not mode:
            self.add_chip(tag, mode)

    def chip(self, tag: str) -> Chip | None:
        """Return the chip widget of a tag, or None."""
        return self._chips.get(tag)

    def mode_menu(self, tag: str) -> QMenu:
        """Return a menu that changes the mode of the tag's chip or removes it."""
        menu = QMenu(self)
        group = QActionGroup(menu)
        for mode, look in _MODE_LOOK.items():
            action = QAction(look.menu_label, menu, checkable=True)
            action.setChecked(self._modes.get(tag) is mode)
            action.triggered.connect(lambda _=False, m=mode: self.set_mode(tag, m))
            group.addAction(action)
            menu.addAction(action)
        menu.addSeparator()
        remove = menu.addAction("Remove")
        remove.triggered.connect(lambda: self.remove_chip(tag))
        return menu

    def _put_chip(self, tag: str, mode: TagMode) -> bool:
        """Add or update a chip without emitting; return whether anything changed."""
        tag = tag.strip().strip("/")
        if not tag or self._modes.get(tag) is mode:
            return False
        chip = self._chips.get(tag)
        if chip is None:
            chip = Chip(tag)
            chip.clicked.connect(lambda: self._on_chip_clicked(tag))
            chip.remove_requested.connect(lambda: self.remove_chip(tag))
            chip.remove_button.setToolTip(f"Stop filtering by {tag}")
            self._chips[tag] = chip
            self._flow.insertWidget(self._flow.count() - 1, chip)
        self._modes[tag] = mode
        look = _MODE_LOOK[mode]
        chip.set_badge(look.badge)
        chip.set_colors(look.background, look.border)
        chip.setToolTip(look.tooltip.format(tag) + ". Click to change or remove.")
        chip.setAccessibleName(f"{tag}, {mode.value}")
        return True

    def _drop_chip(self, tag: str) -> None:
        del self._modes[tag]
        chip = self._chips.pop(tag)
        self._flow.removeWidget(chip)
        chip.hide()
        chip.deleteLater()

    def _on_chip_clicked(self, tag: str) -> None:
        chip = self._chips.get(tag)
        if chip is None:
            return
        menu = self.mode_menu(tag)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(chip.mapToGlobal(QPoint(0, chip.height())))
