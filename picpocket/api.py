"""The PicPocket protocol: what every backend's API object provides."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from picpocket.database.logic import Comparison
from picpocket.database.types import Image, Location, Tag, Task
from picpocket.internal_use import NotSupplied

Progress = Callable[[int, int], object]


@runtime_checkable
class PicPocket(Protocol):
    """A photo library: locations, images, tags, tasks, sessions and backups.

    Every method is a coroutine. See each backend's DbApi for details.
    """

    @property
    def configuration(self) -> dict[str, Any]: ...

    @property
    def mounts(self) -> dict[int, Path]: ...

    async def close(self) -> None: ...

    async def import_data(
        self, path: Path, locations: list[str] | dict[str, Path | None] | None = None
    ) -> None: ...

    async def export_data(
        self, path: Path, locations: list[str | int] | None = None
    ) -> None: ...

    async def add_location(
        self,
        name: str,
        path: Path | None = None,
        *,
        description: str | None = None,
        source: bool = False,
        destination: bool = False,
        removable: bool = True,
    ) -> int: ...

    async def edit_location(
        self,
        name_or_id: str | int,
        new_name: str | None = None,
        /,
        *,
        path: Path | NotSupplied | None = NotSupplied(),
        description: str | NotSupplied | None = NotSupplied(),
        source: bool | None = None,
        destination: bool | None = None,
        removable: bool | None = None,
    ) -> None: ...

    async def remove_location(
        self, name_or_id: int | str, /, *, force: bool = False
    ) -> bool: ...

    async def get_location(
        self, name_or_id: str | int, /, *, expect: bool = False
    ) -> Location | None: ...

    async def list_locations(self) -> list[Location]: ...

    async def mount(self, name_or_id: str | int, /, path: Path) -> None: ...

    async def unmount(self, name_or_id: str | int) -> None: ...

    async def import_location(
        self,
        name_or_id: str | int,
        /,
        *,
        file_formats: set[str] | None = None,
        batch_size: int = 1000,
        creator: str | None = None,
        tags: list[str] | None = None,
        progress: Progress | None = None,
    ) -> list[int]: ...

    async def add_task(
        self,
        name: str,
        source: str | int,
        destination: str | int,
        *,
        description: str | None = None,
        creator: str | None = None,
        tags: list[str] | None = None,
        source_path: str | None = None,
        destination_format: str | None = None,
        file_formats: set[str] | None = None,
        force: bool = False,
    ) -> int: ...

    async def run_task(
        self,
        name: str,
        *,
        since: datetime | None = None,
        full: bool = False,
        tags: list[str] | None = None,
        progress: Progress | None = None,
    ) -> list[int]: ...

    async def remove_task(self, name: str) -> None: ...

    async def get_task(self, name: str) -> Task | None: ...

    async def list_tasks(self) -> list[Task]: ...

    async def add_image_copy(
        self,
        source: Path,
        name_or_id: str | int,
        destination: Path,
        /,
        *,
        creator: str | None = None,
        title: str | None = None,
        caption: str | None = None,
        alt: str | None = None,
        rating: int | None = None,
        tags: list[str] | None = None,
    ) -> int: ...

    async def edit_image(
        self,
        id: int,
        *,
        creator: str | NotSupplied | None = NotSupplied(),
        title: str | NotSupplied | None = NotSupplied(),
        caption: str | NotSupplied | None = NotSupplied(),
        alt: str | NotSupplied | None = NotSupplied(),
        rating: int | NotSupplied | None = NotSupplied(),
    ) -> None: ...

    async def tag_image(self, id: int, tag: str) -> None: ...

    async def untag_image(self, id: int, tag: str) -> None: ...

    async def tag_images(self, ids: Iterable[int], tag: str) -> None: ...

    async def untag_images(self, ids: Iterable[int], tag: str) -> None: ...

    async def move_image(
        self, id: int, path: Path, location: int | None = None
    ) -> None: ...

    async def remove_image(self, id: int, *, delete: bool = False) -> None: ...

    async def find_image(self, path: Path, tags: bool = False) -> Image | None: ...

    async def get_image(self, id: int, tags: bool = False) -> Image | None: ...

    async def get_images(self, ids: Iterable[int], tags: bool = False) -> list[Image]: ...

    async def count_images(
        self,
        filter: Comparison | None = None,
        tagged: bool | None = None,
        any_tags: list[str] | None = None,
        all_tags: list[str] | None = None,
        no_tags: list[str] | None = None,
        reachable: bool | None = None,
    ) -> int: ...

    async def get_image_ids(
        self,
        filter: Comparison | None = None,
        *,
        tagged: bool | None = None,
        any_tags: list[str] | None = None,
        all_tags: list[str] | None = None,
        no_tags: list[str] | None = None,
        order: tuple[str, ...] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        reachable: bool | None = None,
    ) -> list[int]: ...

    async def search_images(
        self,
        filter: Comparison | None = None,
        *,
        tagged: bool | None = None,
        any_tags: list[str] | None = None,
        all_tags: list[str] | None = None,
        no_tags: list[str] | None = None,
        order: tuple[str, ...] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        reachable: bool | None = None,
    ) -> list[Image]: ...

    async def verify_image_files(
        self,
        *,
        location: int | None = None,
        path: Path | None = None,
        reparse_exif: bool = False,
        progress: Progress | None = None,
    ) -> list[Image]: ...

    async def add_tag(
        self, tag: str, description: str | NotSupplied | None = NotSupplied()
    ) -> None: ...

    async def move_tag(
        self, current: str, new: str, /, cascade: bool = True
    ) -> int: ...

    async def remove_tag(self, tag: str, cascade: bool = False) -> None: ...

    async def get_tag(self, tag: str, children: bool = False) -> Tag: ...

    async def all_tag_names(self) -> set[str]: ...

    async def all_tags(self) -> dict[str, Any]: ...

    async def tag_counts(self) -> dict[str, int]: ...

    async def get_tag_set(
        self, *image_ids: int, minimum: int = 1
    ) -> dict[str, int]: ...

    async def create_session(
        self, data: dict[str, Any], expires: datetime | None = None
    ) -> int: ...

    async def get_session(self, session_id: int) -> dict[str, Any] | None: ...

    async def prune_sessions(self) -> None: ...
