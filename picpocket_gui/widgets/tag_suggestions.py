"""Tag suggestions: the tags most used in the current photos that the selection lacks."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger(__name__)

DEFAULT_COUNT = 8
# Suggestions are computed over this many photos of the current result at
# most, so a search over a whole library stays quick.
SAMPLE_LIMIT = 20_000


def rank_suggestions(
    result_counts: dict[str, int], selected_tags: set[str], count: int
) -> list[str]:
    """Return up to `count` tags, most used first, that the selection does not have.

    Ties are broken by name, so the order is stable.
    """
    candidates = [
        (-uses, name) for name, uses in result_counts.items() if name not in selected_tags
    ]
    return [name for _, name in sorted(candidates)[:count]]


class TagSuggestions(QWidget):
    """Suggested tags shown as wrapping chips. Clicking one applies it to the selection."""

    tag_chosen = Signal(str)

    def __init__(self, api: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self._api = api
        self.count = DEFAULT_COUNT
        self.suggestions: list[str] = []
        title = QLabel("Suggested tags")
        title.setToolTip(
            "Tags used most in the photos shown that the selected photos do not have"
        )
        self.chips = QListWidget()
        self.chips.setFlow(QListView.Flow.LeftToRight)
        self.chips.setWrapping(True)
        self.chips.setResizeMode(QListView.ResizeMode.Adjust)
        self.chips.setSpacing(3)
        self.chips.setMaximumHeight(90)
        self.chips.itemClicked.connect(
            lambda item: self.tag_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.chips)

    def set_count(self, count: int) -> None:
        """Set how many suggestions to show (a preference)."""
        self.count = max(0, count)

    async def update_for(self, result_ids: Sequence[int], selected_ids: Sequence[int]) -> None:
        """Suggest tags for the selection from the tags used in the result."""
        if not selected_ids or self.count == 0:
            self._show([])
            return
        result_counts = await self._api.get_tag_set(*result_ids[:SAMPLE_LIMIT])
        selected = await self._api.get_tag_set(*selected_ids, minimum=len(set(selected_ids)))
        self._show(rank_suggestions(result_counts, set(selected), self.count))

    def _show(self, names: list[str]) -> None:
        self.suggestions = names
        self.chips.clear()
        for name in names:
            item = QListWidgetItem(f"+ {name}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(f"Tag the selected photos with {name}")
            self.chips.addItem(item)
        if not names:
            item = QListWidgetItem("No suggestions for this selection")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.chips.addItem(item)
