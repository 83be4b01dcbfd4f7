"""The list of import tasks, with adding, editing, running and removing them."""

from __future__ import annotations

import asyncio
import logging

import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from picpocket.api import PicPocket
from picpocket.database.types import Location, Task
from picpocket_gui.background import spawn
from picpocket_gui.dialogs import show_dialog
from picpocket_gui.dialogs.task_edit import TaskEditDialog
from picpocket_gui.dialogs.task_run import (
    MountCallback,
    RunTaskDialog,
    is_reachable,
    local_time,
)
from picpocket_gui.jobs import JobManager

logger = logging.getLogger(__name__)

COLUMNS = (
    "Name", "Source", "Destination", "Source path", "Destination format", "Last run"
)
TaskRole = Qt.ItemDataRole.UserRole


class TasksDialog(QDialog):
    """List the tasks, and add, edit, run or remove them."""

    def __init__(
        self,
        api: PicPocket,
        parent: QWidget | None = None,
        *,
        jobs: JobManager | None = None,
        mount: MountCallback | None = None,
    ) -> None:
        super().__init__(parent)
        self._api = api
        self._jobs = jobs
        self._mount = mount
        self._tasks: list[Task] = []
        self._edit_dialog: TaskEditDialog | None = None
        self._run_dialogs: dict[str, RunTaskDialog] = {}
        self.setWindowTitle("Tasks")
        self._build()
        self._load = spawn(self.reload(), name="list the tasks")

    # Public state ------------------------------------------------------

    def tasks(self) -> list[Task]:
        """Return the tasks listed, in list order."""
        return list(self._tasks)

    def row_texts(self, row: int) -> list[str]:
        """Return the cells of a row as shown."""
        item = self.tree.topLevelItem(row)
        return [item.text(column) for column in range(len(COLUMNS))]

    def selected_task(self) -> Task | None:
        """Return the selected task, if any."""
        item = self.tree.currentItem()
        return None if item is None else item.data(0, TaskRole)

    def select_task(self, name: str) -> None:
        """Select the task called `name`, if it is listed."""
        for row, task in enumerate(self._tasks):
            if task.name == name:
                self.tree.setCurrentItem(self.tree.topLevelItem(row))

    async def wait_loaded(self) -> None:
        """Wait until the first listing of the tasks is shown."""
        await asyncio.wait([self._load])

    # Building ----------------------------------------------------------

    def _build(self) -> None:
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_tree_menu_requested)
        self.tree.itemDoubleClicked.connect(lambda *_args: self.open_edit_dialog())
        self.tree.currentItemChanged.connect(lambda *_args: self._update_buttons())
        self.empty_label = QLabel(
            "No tasks yet. A task copies new photos from a source, such as a camera "
            "card, into a destination; add one to get started.", self,
        )
        self.empty_label.setWordWrap(True)
        layout = QHBoxLayout(self)
        column = QVBoxLayout()
        column.addWidget(self.tree, 1)
        column.addWidget(self.empty_label)
        layout.addLayout(column, 1)
        layout.addLayout(self._build_buttons())
        self._update_buttons()
        self.resize(900, 360)

    def _build_buttons(self) -> QVBoxLayout:
        self.add_button = QPushButton("Add…", self)
        self.edit_button = QPushButton("Edit…", self)
        self.run_button = QPushButton("Run…", self)
        self.remove_button = QPushButton("Remove…", self)
        close = QPushButton("Close", self)
        self.add_button.clicked.connect(self.open_add_dialog)
        self.edit_button.clicked.connect(self.open_edit_dialog)
        self.run_button.clicked.connect(self.open_run_dialog)
        self.remove_button.clicked.connect(
            lambda: spawn(self.remove_selected(), name="remove a task")
        )
        close.clicked.connect(self.reject)
        buttons = QVBoxLayout()
        for button in (self.add_button, self.edit_button, self.run_button,
                       self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        return buttons

    def _update_buttons(self) -> None:
        chosen = self.selected_task() is not None
        for button in (self.edit_button, self.run_button, self.remove_button):
            button.setEnabled(chosen)

    def _on_tree_menu_requested(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction("Add…", self.open_add_dialog)
        if self.tree.itemAt(position) is not None:
            menu.addAction("Edit…", self.open_edit_dialog)
            menu.addAction("Run…", self.open_run_dialog)
            menu.addAction(
                "Remove…", lambda: spawn(self.remove_selected(), name="remove a task")
            )
        menu.popup(self.tree.viewport().mapToGlobal(position))

    # Listing -----------------------------------------------------------

    async def reload(self) -> None:
        """Fetch the tasks and locations again and show them, keeping the selection."""
        tasks = await self._api.list_tasks()
        locations = {loc.id: loc for loc in await self._api.list_locations()}
        reachable = {
            location_id: await is_reachable(location)
            for location_id, location in locations.items()
        }
        if not shiboken6.isValid(self):
            return
        selected = self.selected_task()
        self._tasks = tasks
        self.tree.clear()
        for task in tasks:
            item = QTreeWidgetItem(_row_cells(task, locations, reachable))
            item.setData(0, TaskRole, task)
            if task.description:
                item.setToolTip(0, task.description)
            self.tree.addTopLevelItem(item)
        self.empty_label.setVisible(not tasks)
        if selected is not None:
            self.select_task(selected.name)
        self._update_buttons()

    # Actions -----------------------------------------------------------

    def open_add_dialog(self) -> TaskEditDialog:
        """Open the dialog that adds a task. The list reloads once it is saved."""
        return self._open_edit_dialog(None)

    def open_edit_dialog(self) -> TaskEditDialog | None:
        """Open the edit dialog of the selected task, if one is selected."""
        task = self.selected_task()
        return None if task is None else self._open_edit_dialog(task)

    def _open_edit_dialog(self, task: Task | None) -> TaskEditDialog:
        if self._edit_dialog is not None and shiboken6.isValid(self._edit_dialog):
            self._edit_dialog.deleteLater()
        dialog = TaskEditDialog(self._api, task, self)
        dialog.accepted.connect(lambda: spawn(self._reload_and_select(dialog),
                                              name="list the tasks"))
        self._edit_dialog = dialog
        dialog.open()
        return dialog

    async def _reload_and_select(self, dialog: TaskEditDialog) -> None:
        name = dialog.saved_task_name()
        await self.reload()
        if name is not None and shiboken6.isValid(self):
            self.select_task(name)

    def open_run_dialog(self) -> RunTaskDialog | None:
        """Open the run dialog of the selected task, reusing one whose run goes on."""
        task = self.selected_task()
        if task is None:
            return None
        dialog = self._run_dialogs.get(task.name)
        if dialog is None or not shiboken6.isValid(dialog) or not dialog.is_running():
            if dialog is not None and shiboken6.isValid(dialog):
                dialog.deleteLater()
            dialog = RunTaskDialog(
                self._api, task, self, jobs=self._jobs, mount=self._mount
            )
            dialog.run_ended.connect(lambda _summary: spawn(self.reload(),
                                                            name="list the tasks"))
            self._run_dialogs[task.name] = dialog
        dialog.open()
        return dialog

    async def remove_selected(self) -> bool:
        """Remove the selected task once the user confirms; return whether removed."""
        task = self.selected_task()
        if task is None:
            return False
        box = QMessageBox(QMessageBox.Icon.Question, "Remove Task",
                          f"Remove the task “{task.name}”?", parent=self)
        box.setInformativeText(
            "No file is touched: the images it imported stay in the library and "
            "on disk, and the source is left as it is."
        )
        remove = box.addButton("Remove Task", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)
        try:
            await show_dialog(box)
            confirmed = box.clickedButton() is remove
        finally:
            box.deleteLater()
        if not confirmed:
            return False
        await self._api.remove_task(task.name)
        logger.info("Removed task %r", task.name)
        await self.reload()
        return True


def _row_cells(
    task: Task, locations: dict[int, Location], reachable: dict[int, bool]
) -> list[str]:
    def location_text(location_id: int) -> str:
        location = locations.get(location_id)
        if location is None:
            return f"(missing location {location_id})"
        if not reachable.get(location_id):
            state = "not mounted" if location.removable else "folder missing"
            return f"{location.name} ({state})"
        return location.name

    return [
        task.name,
        location_text(task.source),
        location_text(task.destination),
        task.source_path or "(whole source)",
        task.destination_format or "(default)",
        local_time(task.last_ran),
    ]
