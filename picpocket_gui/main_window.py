"""The main window: tags and locations, the thumbnail grid, the details of a selection."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import shiboken6
from platformdirs import user_cache_path
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from picpocket_gui import background
from picpocket_gui.actions import LibraryActions
from picpocket_gui import drop_targets
from picpocket_gui.drop_targets import install_drop_targets
from picpocket_gui.identity import APPLICATION_NAME
from picpocket_gui.jobs import JobManager
from picpocket_gui.models.image_grid import ImageGridModel
from picpocket_gui.models.locations import LocationListModel
from picpocket_gui.models.tag_tree import TagTreeModel
from picpocket_gui.search import SearchQuery
from picpocket_gui.settings import Settings
from picpocket_gui.thumbnails import ThumbnailLoader
from picpocket_gui.widgets.details import DetailsPanel
from picpocket_gui.widgets.grid_view import ThumbnailGridView
from picpocket_gui.widgets.job_status import JobStatus
from picpocket_gui.widgets.location_panel import LocationPanel
from picpocket_gui.widgets.search_bar import SearchBar
from picpocket_gui.widgets.tag_panel import TagFilter, TagPanel
from picpocket_gui.widgets.tag_suggestions import TagSuggestions

logger = logging.getLogger(__name__)

# Records shown in the details panel at once; a bigger selection shows
# (and edits) its first images and the status bar mentions it.
DETAILS_LIMIT = 5_000
THUMBNAIL_SIZES = (64, 512)
SUGGESTION_COUNTS = (0, 4, 8, 12, 16)


class MainWindow(QMainWindow):
    """Browse, search and tag one library."""

    def __init__(
        self,
        api: Any,
        library_path: Path,
        *,
        cache_dir: Path | None = None,
        settings: Settings | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.api = api
        self.library_path = Path(library_path)
        self.settings = settings if settings is not None else Settings()
        # Set by File > Open Library before closing: the app opens it next.
        self.next_library: Path | None = None
        self.setWindowTitle(f"{self.library_path} — {APPLICATION_NAME}")
        cache = cache_dir or user_cache_path("picpocket") / "thumbnails"
        self.thumbnails = ThumbnailLoader(cache, parent=self)
        self.jobs = JobManager(self)
        self.query = SearchQuery()
        self._query_generation = 0
        self._build_grid()
        self._build_panels()
        self._build_status_bar()
        self.actions_ = LibraryActions(self)
        self._build_menus()
        self._connect()
        self.resize(1400, 900)
        self.settings.restore_window(self)
        self._apply_preferences()
        install_drop_targets(self)

    def _apply_preferences(self) -> None:
        size = self.settings.thumbnail_size()
        self.size_slider.setValue(size)
        self.grid.set_thumbnail_size(size)
        self.suggestions.set_count(self.settings.tag_suggestion_count())
        self.suggestions.setVisible(self.suggestions.count > 0)

    # Layout -------------------------------------------------------------

    def _build_grid(self) -> None:
        self.search_bar = SearchBar()
        self.grid_model = ImageGridModel(self.api, self.thumbnails, self)
        self.grid = ThumbnailGridView()
        self.grid.setModel(self.grid_model)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(*THUMBNAIL_SIZES)
        self.size_slider.setMaximumWidth(200)
        self.size_slider.setToolTip("Thumbnail size (Ctrl+wheel over the grid)")
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(QLabel("Size"))
        bottom.addWidget(self.size_slider)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search_bar)
        layout.addWidget(self.grid, 1)
        layout.addLayout(bottom)
        self.setCentralWidget(central)

    def _build_panels(self) -> None:
        self.tag_panel = TagPanel(self.api, TagTreeModel(self.api, self), self)
        self.location_panel = LocationPanel(LocationListModel(self.api, self), self)
        self.side_tabs = QTabWidget()
        self.side_tabs.addTab(self.tag_panel, "Tags")
        self.side_tabs.addTab(self.location_panel, "Locations")
        self.library_dock = self._dock("Library", self.side_tabs, "library")
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.library_dock)
        self.details = DetailsPanel(self.api, self)
        self.suggestions = TagSuggestions(self.api, self)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.details, 1)
        column.addWidget(self.suggestions)
        self.details_dock = self._dock("Details", right, "details")
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.details_dock)
        self.resizeDocks([self.library_dock, self.details_dock], [340, 340],
                         Qt.Orientation.Horizontal)

    def _dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{name}-dock")
        dock.setWidget(widget)
        return dock

    def _build_status_bar(self) -> None:
        self.count_label = QLabel("")
        self.selection_label = QLabel("")
        self.job_status = JobStatus(self.jobs, self)
        self.statusBar().addWidget(self.count_label)
        self.statusBar().addWidget(self.selection_label)
        self.statusBar().addPermanentWidget(self.job_status)

    def _build_menus(self) -> None:
        actions = self.actions_
        file_menu = self.menuBar().addMenu("&File")
        actions.fill_file_menu(file_menu)
        edit = self.menuBar().addMenu("&Edit")
        edit.addAction(self._action("Select &All", QKeySequence.StandardKey.SelectAll,
                                    self.grid.selectAll))
        edit.addAction(self._action("&Find", QKeySequence.StandardKey.Find,
                                    self.search_bar.focus_search))
        view = self.menuBar().addMenu("&View")
        view.addAction(self.library_dock.toggleViewAction())
        view.addAction(self.details_dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self._action("&Larger Thumbnails", QKeySequence.StandardKey.ZoomIn,
                                    lambda: self._step_size(32)))
        view.addAction(self._action("&Smaller Thumbnails",
                                    QKeySequence.StandardKey.ZoomOut,
                                    lambda: self._step_size(-32)))
        self._fill_suggestion_menu(view.addMenu("Tag &Suggestions"))
        actions.fill_image_menu(self.menuBar().addMenu("&Image"))
        actions.fill_location_menu(self.menuBar().addMenu("&Locations"))
        tags = self.menuBar().addMenu("&Tags")
        tags.addAction(self._action("&Add Tag…", None,
                                    lambda: self.tag_panel.ask_add_tag(None)))
        tags.addAction(self._action("&Tag Selection…", "Ctrl+T",
                                    self.details.focus_tag_entry))
        actions.fill_help_menu(self.menuBar().addMenu("&Help"))

    def _fill_suggestion_menu(self, menu: Any) -> None:
        group = QActionGroup(self)
        current = self.settings.tag_suggestion_count()
        for count in SUGGESTION_COUNTS:
            action = menu.addAction("Hide" if count == 0 else f"Show {count}")
            action.setCheckable(True)
            action.setChecked(count == current)
            action.triggered.connect(lambda _=False, c=count: self.set_suggestion_count(c))
            group.addAction(action)

    def set_suggestion_count(self, count: int) -> None:
        """Set how many tag suggestions to show, and remember it."""
        self.settings.set_tag_suggestion_count(count)
        self.suggestions.set_count(count)
        self.suggestions.setVisible(count > 0)
        self._selection_changed(self.grid.selected_ids())

    def _action(self, text: str, shortcut: Any, slot: Any) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _=False: slot())
        return action

    def _connect(self) -> None:
        self.search_bar.query_changed.connect(self._query_changed)
        self.tag_panel.filter_changed.connect(self._tag_filter_changed)
        self.tag_panel.tags_changed.connect(self._tags_changed)
        self.tag_panel.model.images_dropped.connect(self._images_dropped)
        self.grid.selection_changed_ids.connect(self._selection_changed)
        self.grid.rating_requested.connect(self._rating_requested)
        self.grid.open_requested.connect(self.actions_.open_viewer)
        self.grid.thumbnail_size_changed.connect(self.size_slider.setValue)
        self.size_slider.valueChanged.connect(self.grid.set_thumbnail_size)
        self.size_slider.valueChanged.connect(self.settings.set_thumbnail_size)
        self.jobs.job_started.connect(self._job_started)
        self.details.images_changed.connect(self._images_changed)
        self.suggestions.tag_chosen.connect(self._suggestion_chosen)
        self.location_panel.action_requested.connect(self.actions_.location_action)
        self.location_panel.add_requested.connect(self.actions_.add_location)
        self._forget_error_handler = background.on_error(self.show_error)

    # Loading and searching -----------------------------------------------

    async def start(self) -> None:
        """Load tags, locations and the first screen of photos."""
        await self.reload_side_panels()
        await self.apply_query(self.query)

    async def reload_side_panels(self) -> None:
        """Read tags and locations again and pass them to the search bar."""
        await self.tag_panel.reload()
        await self.location_panel.reload()
        self.search_bar.set_tag_names(self.tag_panel.tag_names())
        self.details.set_tag_names(self.tag_panel.tag_names())
        self.search_bar.set_locations(await self.api.list_locations())

    async def apply_query(self, query: SearchQuery) -> int:
        """Show the photos matching `query` and return how many there are."""
        self.query = query
        self._query_generation += 1
        generation = self._query_generation
        count = await self.grid_model.set_query(query.engine_arguments())
        if generation == self._query_generation:
            self.search_bar.set_result_count(count)
            self.count_label.setText(f"{count:,} photos")
        return count

    async def refresh_all(self) -> None:
        """Read everything again after work that changed the library."""
        await self.reload_side_panels()
        await self.apply_query(self.query)

    def _query_changed(self, query: SearchQuery) -> None:
        background.spawn(self.apply_query(query), name="search the library")

    def _tag_filter_changed(self, tag_filter: TagFilter) -> None:
        self.search_bar.set_tag_filter(**tag_filter.arguments())

    def _tags_changed(self) -> None:
        background.spawn(self.refresh_after_tags(), name="refresh tags")

    async def refresh_after_tags(self) -> None:
        """Update completers and the grid after tags were renamed or removed."""
        self.search_bar.set_tag_names(self.tag_panel.tag_names())
        self.details.set_tag_names(self.tag_panel.tag_names())
        await self.grid_model.refresh()
        await self.show_selection(self.grid.selected_ids())

    # Selection and edits -------------------------------------------------

    def _selection_changed(self, ids: list[int]) -> None:
        background.spawn(self.show_selection(ids), name="show the selected photos")

    async def show_selection(self, ids: list[int]) -> None:
        """Show the details of the selected photos."""
        shown = ids[:DETAILS_LIMIT]
        images = await self.api.get_images(shown, tags=True)
        if ids != self.grid.selected_ids():
            return
        await self.details.show_images(images)
        await self.suggestions.update_for(self.result_ids(), ids)
        text = f"{len(ids):,} selected" if ids else ""
        if len(ids) > DETAILS_LIMIT:
            text += f" (details show and edit the first {DETAILS_LIMIT:,})"
        self.selection_label.setText(text)

    def _images_changed(self, ids: list[int]) -> None:
        background.spawn(self.after_edit(ids), name="refresh edited photos")

    async def after_edit(self, ids: list[int]) -> None:
        """Redraw edited photos and the tag counts."""
        await self.grid_model.refresh(ids)
        await self.tag_panel.reload()
        self.search_bar.set_tag_names(self.tag_panel.tag_names())

    def _rating_requested(self, rating: int) -> None:
        ids = self.grid.selected_ids()
        if ids:
            background.spawn(self.rate(ids, rating), name=f"rate {len(ids)} photos")

    async def rate(self, ids: list[int], rating: int) -> None:
        """Set the rating of the photos; 0 erases it."""
        for image_id in ids:
            await self.api.edit_image(image_id, rating=rating or None)
        await self.grid_model.refresh(ids)
        await self.show_selection(self.grid.selected_ids())

    def _images_dropped(self, tag: str, ids: list[int]) -> None:
        background.spawn(self.tag_images(ids, tag), name=f"tag {len(ids)} photos")

    async def tag_images(self, ids: list[int], tag: str) -> None:
        """Tag the photos in one batch and show the new counts."""
        await self.api.tag_images(ids, tag)
        await self.after_edit(ids)
        await self.show_selection(self.grid.selected_ids())

    def show_only(self, ids: list[int]) -> None:
        """Show exactly these photos, as after an import; any search shows all again."""
        count = self.grid_model.set_ids(ids)
        self.count_label.setText(f"Showing {count:,} imported photos")
        self.search_bar.set_result_count(count)

    def result_ids(self) -> list[int]:
        """Return the ids of the current result, in grid order."""
        return self.grid_model.image_ids()

    def _suggestion_chosen(self, tag: str) -> None:
        ids = self.grid.selected_ids()
        if ids:
            background.spawn(self.tag_images(ids, tag), name=f"tag {len(ids)} photos")

    def copy_dropped_files(self, mime: Any, location_id: int | None) -> None:
        """Offer to copy files dropped from outside into a location."""
        drop_targets.copy_files(self, mime, location_id)

    def move_dropped_images(self, mime: Any, location_id: int) -> None:
        """Ask, then move thumbnails dropped on a location into it."""
        drop_targets.move_images(self, mime, location_id)

    def _step_size(self, step: int) -> None:
        self.size_slider.setValue(self.size_slider.value() + step)

    # Errors and closing ----------------------------------------------------

    def show_error(self, action: str, error: BaseException) -> None:
        """Tell the user that an action failed and why."""
        if not shiboken6.isValid(self):
            return
        self.statusBar().showMessage(f"Could not {action}: {error}", 15_000)
        if self.isVisible():
            # open() rather than exec(): a nested event loop here would run
            # other coroutines' steps inside this callback.
            box = QMessageBox(QMessageBox.Icon.Warning, APPLICATION_NAME,
                              f"Could not {action}.", parent=self)
            box.setInformativeText(str(error))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    def _job_started(self, job: Any) -> None:
        job.failed.connect(lambda message: self.show_error(job.name.lower(), message))
        job.finished.connect(lambda _: self._after_job())

    def _after_job(self) -> None:
        background.spawn(self.refresh_all(), name="refresh after a job")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Save the layout and stop background work before the window goes."""
        self._forget_error_handler()
        self.settings.save_window(self)
        self.settings.sync()
        self.jobs.cancel_all()
        self.thumbnails.clear_requests()
        super().closeEvent(event)

    async def shutdown(self) -> None:
        """Wait for cancelled jobs and stop the thumbnail workers."""
        await self.jobs.shutdown()
        await self.thumbnails.close()
