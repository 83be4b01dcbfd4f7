"""The details panel's tag editor: the selection's tags as chips and a tag line."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from picpocket_gui.widgets.tag_chips import Chip, FlowLayout, TagLineEdit

logger = logging.getLogger(__name__)

_FULL_COLORS = ("#e3e8f0", "#6b7a90")
_PARTIAL_COLORS = ("#f4f5f7", "#9aa3b0")


class TagEntry(QWidget):
    """Chips for the tags of the selected images and a line edit to add a tag.

    The widget changes no data itself. It emits `tag_added(tag)` when the
    user enters a tag or clicks a tag that only some images have, and
    `tag_removed(tag)` when a chip's × is clicked. The owner applies the
    change to every selected image and calls `set_tags` with the result.
    """

    tag_added = Signal(str)
    tag_removed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._counts: dict[str, int] = {}
        self._total = 0
        self._chips: dict[str, Chip] = {}
        self._chip_area = QWidget()
        self._flow = FlowLayout(self._chip_area)
        self.empty_label = QLabel("No tags")
        self.empty_label.setEnabled(False)
        self._flow.addWidget(self.empty_label)
        self.entry = TagLineEdit()
        self.entry.setPlaceholderText("Add a tag…")
        self.entry.setToolTip(
            "Type a tag and press Enter to add it to every selected image"
        )
        self.entry.tag_entered.connect(self._on_tag_entered)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self._chip_area)
        layout.addWidget(self.entry)

    def set_tag_names(self, names: Iterable[str]) -> None:
        """Offer these tag names as completions."""
        self.entry.set_tag_names(names)

    def set_tags(self, counts: Mapping[str, int], total: int) -> None:
        """Show tags with how many of the `total` selected images have each."""
        self._counts = dict(counts)
        self._total = total
        for chip in self._chips.values():
            self._flow.removeWidget(chip)
            chip.hide()
            chip.deleteLater()
        self._chips.clear()
        for tag in sorted(self._counts, key=str.casefold):
            chip = self._make_chip(tag, self._counts[tag])
            self._chips[tag] = chip
            self._flow.addWidget(chip)
        self.empty_label.setVisible(not self._chips)
        self.empty_label.setText("No tags" if total else "")

    def tags(self) -> dict[str, int]:
        """Return the tags shown and how many selected images have each."""
        return dict(self._counts)

    def chip(self, tag: str) -> Chip | None:
        """Return the chip of a tag, or None."""
        return self._chips.get(tag)

    def focus_entry(self) -> None:
        """Move keyboard focus to the line edit."""
        self.entry.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _make_chip(self, tag: str, count: int) -> Chip:
        partial = count < self._total
        chip = Chip(f"{tag} ({count} of {self._total})" if partial else tag)
        colors = _PARTIAL_COLORS if partial else _FULL_COLORS
        chip.set_colors(*colors, dashed=partial)
        chip.remove_requested.connect(lambda: self.tag_removed.emit(tag))
        many = self._total > 1
        chip.remove_button.setToolTip(
            f"Remove {tag} from every selected image" if many else f"Remove {tag}"
        )
        if partial:
            chip.setToolTip(
                f"{tag}: on {count} of {self._total} selected images. "
                f"Click to add it to all of them."
            )
            chip.clicked.connect(lambda: self.tag_added.emit(tag))
        else:
            chip.setCursor(Qt.CursorShape.ArrowCursor)
            chip.setToolTip(f"{tag}: on every selected image" if many else tag)
        chip.setAccessibleName(chip.label.text())
        return chip

    def _on_tag_entered(self, tag: str) -> None:
        on_every_image = self._total > 0 and self._counts.get(tag) == self._total
        if on_every_image:
            return
        logger.debug("Tag %r requested for the selection", tag)
        self.tag_added.emit(tag)
