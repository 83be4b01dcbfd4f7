"""The search bar above the grid: text, tag chips, rating, location and sort order."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from picpocket.database.types import Location
from picpocket_gui.search import SearchQuery
from picpocket_gui.widgets.tag_chips import TagChipsEdit, TagMode

logger = logging.getLogger(__name__)

DEBOUNCE_MS = 250

SORT_ORDERS = (
    ("creation_date", "Date taken"),
    ("rating", "Rating"),
    ("name", "Name"),
    ("path", "Path"),
    ("random", "Random"),
)

# The button text for descending and for ascending order, per sort order.
_DIRECTION_LABELS = {
    "creation_date": ("Newest first", "Oldest first"),
    "rating": ("Best first", "Worst first"),
    "name": ("Z to A", "A to Z"),
    "path": ("Z to A", "A to Z"),
}


class SearchBar(QWidget):
    """Search controls that emit a SearchQuery after the user pauses.

    Every change restarts a DEBOUNCE_MS timer, and `query_changed` is
    emitted when it runs out, once per pause and only when the query
    differs from the last one emitted (at first, the default SearchQuery).
    `set_tag_filter` emits at once.
    """

    query_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._last_query = SearchQuery()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._emit_query)
        self._build_filter_controls()
        self._build_sort_controls()
        self._connect_controls()
        first = QHBoxLayout()
        first.addWidget(self.text, 1)
        first.addWidget(QLabel("Sort"))
        for widget in (self.sort, self.direction, self.unrated, self.count):
            first.addWidget(widget)
        second = QHBoxLayout()
        second.addWidget(self.tags, 1)
        for widget in (self.rating, self.location, self.reachable):
            second.addWidget(widget, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(first)
        layout.addLayout(second)
        self._update_sort_controls()

    def _build_filter_controls(self) -> None:
        self.text = QLineEdit()
        self.text.setPlaceholderText("Search title, caption, alt text, creator, path")
        self.text.setClearButtonEnabled(True)
        self.text.setMinimumWidth(200)
        self.text.setToolTip(
            'Every word must match; put "a phrase" in double quotes to match it whole'
        )
        self.tags = TagChipsEdit()
        self.rating = QComboBox()
        self.rating.setToolTip("Minimum rating")
        self.rating.addItem("Any rating", None)
        for stars in range(1, 6):
            suffix = "" if stars == 5 else " or more"
            self.rating.addItem("★" * stars + suffix, stars)
        self.location = QComboBox()
        self.location.setToolTip("Only images in this location")
        self.location.addItem("All locations", None)
        self.location.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.reachable = QCheckBox("Reachable only")
        self.reachable.setToolTip("Hide images whose files cannot be read now")

    def _build_sort_controls(self) -> None:
        self.sort = QComboBox()
        self.sort.setToolTip("Sort order")
        for key, label in SORT_ORDERS:
            self.sort.addItem(label, key)
        # A plain button with the state in _descending: a checked tool
        # button would look pressed for one of the two directions.
        self._descending = True
        self.direction = QToolButton()
        self.direction.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.unrated = QComboBox()
        self.unrated.addItem("Unrated last", True)
        self.unrated.addItem("Unrated first", False)
        self.unrated.setToolTip("Where images lacking the sort property go")
        self.count = QLabel()
        self.count.setMinimumWidth(80)
        self.count.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )

    def _connect_controls(self) -> None:
        self.text.textChanged.connect(self._schedule)
        self.tags.chips_changed.connect(self._schedule)
        self.rating.currentIndexChanged.connect(self._schedule)
        self.location.currentIndexChanged.connect(self._schedule)
        self.reachable.toggled.connect(self._schedule)
        self.sort.currentIndexChanged.connect(self._on_sort_changed)
        self.direction.clicked.connect(self._on_direction_clicked)
        self.unrated.currentIndexChanged.connect(self._schedule)

    # Public interface ----------------------------------------------------

    def query(self) -> SearchQuery:
        """Return the query the controls show now."""
        return SearchQuery(
            text=self.text.text(),
            all_tags=self.tags.tags(TagMode.ALL),
            any_tags=self.tags.tags(TagMode.ANY),
            no_tags=self.tags.tags(TagMode.EXCLUDE),
            rating_min=self.rating.currentData(),
            location=self.location.currentData(),
            reachable_only=self.reachable.isChecked(),
            order=self.sort.currentData(),
            descending=self._descending,
            unrated_last=self.unrated.currentData(),
        )

    def set_result_count(self, count: int) -> None:
        """Show how many photos the current query matches."""
        self.count.setText(f"{count:,} photo" + ("" if count == 1 else "s"))

    def set_tag_names(self, names: Iterable[str]) -> None:
        """Offer these tag names as completions for tag chips."""
        self.tags.set_tag_names(names)

    def set_locations(self, locations: list[Location]) -> None:
        """List these locations, keeping the chosen one when it still exists."""
        chosen = self.location.currentData()
        self.location.blockSignals(True)
        self.location.clear()
        self.location.addItem("All locations", None)
        for location in sorted(locations, key=lambda item: item.name.casefold()):
            self.location.addItem(location.name, location.id)
        index = self.location.findData(chosen)
        self.location.setCurrentIndex(max(index, 0))
        self.location.blockSignals(False)
        if index < 0:
            self._schedule()

    def set_tag_filter(
        self,
        all_tags: Iterable[str] = (),
        any_tags: Iterable[str] = (),
        no_tags: Iterable[str] = (),
    ) -> None:
        """Replace the tag chips and emit the new query without waiting."""
        self.tags.blockSignals(True)
        self.tags.set_chips(all_tags, any_tags, no_tags)
        self.tags.blockSignals(False)
        self._emit_query()

    def focus_search(self) -> None:
        """Move keyboard focus to the text field and select its text."""
        self.text.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text.selectAll()

    # Internals -----------------------------------------------------------

    def _schedule(self, *_: object) -> None:
        self._timer.start()

    def _emit_query(self) -> None:
        self._timer.stop()
        query = self.query()
        if query == self._last_query:
            return
        self._last_query = query
        logger.debug("Search changed: %r", query)
        self.query_changed.emit(query)

    def _on_direction_clicked(self) -> None:
        self._descending = not self._descending
        self._on_sort_changed()

    def _on_sort_changed(self, *_: object) -> None:
        self._update_sort_controls()
        self._schedule()

    def _update_sort_controls(self) -> None:
        order = self.sort.currentData()
        descending = self._descending
        arrow = Qt.ArrowType.DownArrow if descending else Qt.ArrowType.UpArrow
        labels = _DIRECTION_LABELS.get(order)
        if labels is None:
            arrow = Qt.ArrowType.NoArrow
            labels = ("Shuffled", "Shuffled")
        self.direction.setArrowType(arrow)
        self.direction.setText(labels[0] if descending else labels[1])
        self.direction.setToolTip("Click to reverse the sort order")
        self.direction.setEnabled(order != "random")
        # Names and paths are never missing, so only ratings and dates need it.
        missing = {"rating": "Unrated", "creation_date": "Undated"}.get(order)
        self.unrated.setEnabled(missing is not None)
        self.unrated.setItemText(0, f"{missing or 'Unrated'} last")
        self.unrated.setItemText(1, f"{missing or 'Unrated'} first")
