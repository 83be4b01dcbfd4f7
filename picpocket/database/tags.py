"""Nested tags such as `bird/goose/Canada Goose`, and tagging images."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from picpocket.database.base import (
    Cursor,
    DbApiBase,
    chunked,
    is_encodable,
    placeholders,
)
from picpocket.database.logic import INTEGER_MAX, INTEGER_MIN
from picpocket.database.types import Tag
from picpocket.errors import InputValidationError, PicPocketError, UnknownItemError
from picpocket.internal_use import NotSupplied

logger = logging.getLogger(__name__)

SEPARATOR = "/"
# A tag_images or untag_images call on this many images or more refreshes
# the query planner's statistics of image tags right away. Otherwise
# searches for the tag are planned for its old number of images until the
# database refreshes them in the background.
BULK_TAGGING_IMAGES = 1000


def normalize_tag(tag: object) -> str:
    """Return the tag without leading or trailing slashes, or raise.

    Raises:
        InputValidationError: the tag is not text, contains NUL, is empty
            or has an empty level (`a//b`).
    """
    if not isinstance(tag, str):
        raise InputValidationError(f"A tag must be text, got {tag!r}")
    # PostgreSQL cannot store NUL in text, so SQLite rejects it too.
    if "\x00" in tag:
        raise InputValidationError(f"Tag {tag!r} contains a NUL character; remove it")
    if not is_encodable(tag):
        raise InputValidationError(
            f"Tag {tag!r} contains a lone surrogate, which is not valid Unicode; "
            "remove it"
        )
    name = tag.strip(SEPARATOR)
    if not name or any(not level for level in name.split(SEPARATOR)):
        raise InputValidationError(
            f"Tag {tag!r} is empty or has an empty level; write levels "
            f"separated by single slashes, like 'bird/goose'"
        )
    return name


def normalize_tags(argument: str, tags: object) -> list[str]:
    """Return the normalized names of a list of tags (None is an empty list).

    Raises:
        InputValidationError: `tags` is a single string, which would
            otherwise become one tag per letter, or a tag is invalid.
    """
    if isinstance(tags, str):
        raise InputValidationError(
            f"{argument} must be a list of tags, not the string {tags!r}; "
            f"pass [{tags!r}] instead"
        )
    return [normalize_tag(tag) for tag in tags or []]  # type: ignore[attr-defined]


def is_storable_id(value: object) -> bool:
    """Return whether a value is an int that both backends store as an id."""
    return type(value) is int and INTEGER_MIN <= value <= INTEGER_MAX


def _prefixes(name: str) -> list[str]:
    """Return the tag and each of its ancestors: a/b/c, a/b, a."""
    parts = name.split(SEPARATOR)
    return [SEPARATOR.join(parts[:end]) for end in range(len(parts), 0, -1)]


def descendant_range(name: str) -> tuple[str, str]:
    """Return bounds that enclose exactly the names of a tag's descendants.

    Every descendant starts with `name/`, and '0' is the character after
    '/', so the names sort strictly between `name/` and `name0` in a
    byte-wise collation. This uses the tag index, unlike LIKE.
    """
    return name + SEPARATOR, name + chr(ord(SEPARATOR) + 1)


def tag_match_condition(column: str, names: Sequence[str]) -> tuple[str, list[str]]:
    """Return a condition on `column` matching the tags or their descendants."""
    conditions, params = [], []
    for name in names:
        low, high = descendant_range(name)
        conditions.append(f"{column} = ? OR ({column} > ? AND {column} < ?)")
        params.extend((name, low, high))
    return " OR ".join(f"({condition})" for condition in conditions), params


class TagsMixin(DbApiBase):
    """Create, rename, remove and apply tags."""

    async def _ensure_tag(self, cursor: Cursor, name: str) -> int:
        """Return the id of a tag, creating the tag when it is new.

        An existing tag is only read, because an upsert would rewrite its
        row on every call (a new row version on PostgreSQL). The lock keeps
        another connection from removing the tag before the transaction
        ends.
        """
        select = f"SELECT id FROM tags WHERE name = ?{self.sql.key_share_lock}"
        row = await cursor.fetch_one(select, (name,))
        if row is None:
            row = await cursor.fetch_one(
                "INSERT INTO tags (name, depth) VALUES (?, ?) "
                "ON CONFLICT (name) DO NOTHING RETURNING id",
                (name, name.count(SEPARATOR)),
            )
        if row is None:
            # Another connection created the tag after the first SELECT.
            row = await cursor.fetch_one(select, (name,))
        if row is None:
            raise PicPocketError(
                f"Tag {name!r} was created and removed again by another "
                f"connection while this one used it; try again"
            )
        return int(row[0])

    async def _apply_tags(
        self, cursor: Cursor, image_ids: Sequence[int], names: Iterable[str]
    ) -> None:
        for name in names:
            tag_id = await self._ensure_tag(cursor, name)
            try:
                await self._insert_image_tags(cursor, image_ids, tag_id)
            except self.integrity_errors:
                raise UnknownItemError(
                    f"Cannot tag {name!r}: at least one of the images "
                    f"{list(image_ids)[:10]} does not exist"
                ) from None

    async def _insert_image_tags(
        self, cursor: Cursor, image_ids: Sequence[int], tag_id: int
    ) -> None:
        if self.sql.arrays and all(is_storable_id(value) for value in image_ids):
            # One statement with an array parameter, where executemany
            # sends one statement per image. tag_images on 50,000 images
            # took 0.85 s instead of 1.25 s (PostgreSQL 15, bench_search.py).
            await cursor.execute(
                "INSERT INTO image_tags (image, tag) "
                "SELECT listed.image, ? FROM unnest(CAST(? AS BIGINT[])) "
                "AS listed (image) ON CONFLICT DO NOTHING",
                (tag_id, list(image_ids)),
            )
            return
        await cursor.executemany(
            "INSERT INTO image_tags (image, tag) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            [(image_id, tag_id) for image_id in image_ids],
        )

    async def _tag_with_existing_tag(self, image_id: int, name: str) -> bool:
        """Tag one image in one autocommitted statement; return whether it did.

        Returns False, having changed nothing, when the tag does not exist
        yet, the image already has it, or the image does not exist.
        """
        try:
            async with self.autocommit() as cursor:
                row = await cursor.fetch_one(
                    "INSERT INTO image_tags (image, tag) "
                    "SELECT ?, id FROM tags WHERE name = ? "
                    "ON CONFLICT DO NOTHING RETURNING tag",
                    (image_id, name),
                )
        except self.integrity_errors:
            # The image is missing, or the tag was removed at that moment.
            # tag_images finds out which and raises the matching error.
            return False
        return row is not None

    async def add_tag(
        self, tag: str, description: str | NotSupplied | None = NotSupplied()
    ) -> None:
        """Add a tag, or update its description when one is given."""
        name = normalize_tag(tag)
        if not isinstance(description, (NotSupplied, str, type(None))):
            raise InputValidationError(
                f"A tag description must be text or None, got {description!r}"
            )
        if isinstance(description, str) and "\x00" in description:
            raise InputValidationError(
                f"Tag description {description!r} contains a NUL character; remove it"
            )
        async with self.transaction() as cursor:
            tag_id = await self._ensure_tag(cursor, name)
            if not isinstance(description, NotSupplied):
                await cursor.execute(
                    "UPDATE tags SET description = ? WHERE id = ?",
                    (description, tag_id),
                )

    async def tag_image(self, id: int, tag: str) -> None:
        """Apply a tag to an image (its parents are implied, not applied).

        Raises:
            UnknownItemError: no image has this id; nothing is changed.
        """
        name = normalize_tag(tag)
        if is_storable_id(id) and await self._tag_with_existing_tag(id, name):
            return
        # A new tag, an image that has the tag already, a missing image or
        # an id of another type take the full path in one transaction.
        await self.tag_images([id], name)

    async def untag_image(self, id: int, tag: str) -> None:
        """Remove a tag from an image; removing an absent tag is fine."""
        await self.untag_images([id], tag)

    async def tag_images(self, ids: Iterable[int], tag: str) -> None:
        """Apply one tag to many images in one transaction.

        Raises:
            UnknownItemError: an id names no image; nothing is tagged.
        """
        name = normalize_tag(tag)
        image_ids = list(dict.fromkeys(ids))
        async with self.transaction() as cursor:
            await self._apply_tags(cursor, image_ids, [name])
        await self._refresh_after_bulk_change(len(image_ids))

    async def untag_images(self, ids: Iterable[int], tag: str) -> None:
        """Remove one tag from many images in one transaction."""
        name = normalize_tag(tag)
        image_ids = list(dict.fromkeys(ids))
        async with self.transaction() as cursor:
            row = await cursor.fetch_one("SELECT id FROM tags WHERE name = ?", (name,))
            if row is None:
                return
            for chunk in chunked(image_ids):
                await cursor.execute(
                    f"DELETE FROM image_tags WHERE tag = ? "
                    f"AND image IN ({placeholders(len(chunk))})",
                    (row[0], *chunk),
                )
        await self._refresh_after_bulk_change(len(image_ids))

    async def _refresh_after_bulk_change(self, count: int) -> None:
        if count >= BULK_TAGGING_IMAGES:
            await self._refresh_quietly(
                self.refresh_tag_statistics, f"tagging or untagging {count} images"
            )

    async def _refresh_quietly(
        self, refresh: Callable[[], Awaitable[None]], change: str
    ) -> None:
        """Refresh the planner's statistics after a committed change.

        The change is committed, so a failure here only costs speed and is
        logged as a warning.
        """
        try:
            await refresh()
        except (PicPocketError, *self.database_errors) as error:
            logger.warning(
                "Could not update the database statistics after %s, so searches "
                "may be slow for a while: %s",
                change,
                error,
            )

    async def move_tag(self, current: str, new: str, /, cascade: bool = True) -> int:
        """Rename a tag (and by default its descendants); return how many moved.

        A tag that already has the new name absorbs the moved one: its
        images gain the moved tag's images, and its description is kept
        (the moved tag's description is used only when it has none).
        """
        old_name, new_name = normalize_tag(current), normalize_tag(new)
        if old_name == new_name:
            return 0
        async with self.transaction() as cursor:
            moves = await self._tags_to_move(cursor, old_name, new_name, cascade)
            await self._rename_parked(cursor, moves)
        logger.info("Moved %d tags from %r to %r", len(moves), old_name, new_name)
        return len(moves)

    async def _tags_to_move(
        self, cursor: Cursor, old_name: str, new_name: str, cascade: bool
    ) -> list[tuple[int, str, str]]:
        condition, params = ("name = ?", [old_name])
        if cascade:
            condition, params = tag_match_condition("name", [old_name])
        rows = await cursor.fetch_all(
            f"SELECT id, name FROM tags WHERE {condition}", params
        )
        return [
            (tag_id, name, new_name + name[len(old_name) :]) for tag_id, name in rows
        ]

    async def _rename_parked(
        self, cursor: Cursor, moves: list[tuple[int, str, str]]
    ) -> None:
        # Park every moved tag under a unique name first, so that a target
        # name that is itself about to move is never merged by mistake.
        # Real tag names never start with a slash, so parked names cannot
        # collide with them.
        parking = f"/move-{uuid.uuid4().hex}-"
        for tag_id, _old, _new in moves:
            await cursor.execute(
                "UPDATE tags SET name = ? WHERE id = ?", (f"{parking}{tag_id}", tag_id)
            )
        for tag_id, _old, target in moves:
            existing = await cursor.fetch_one(
                "SELECT id FROM tags WHERE name = ?", (target,)
            )
            if existing is None:
                await cursor.execute(
                    "UPDATE tags SET name = ?, depth = ? WHERE id = ?",
                    (target, target.count(SEPARATOR), tag_id),
                )
                continue
            await cursor.execute(
                "INSERT INTO image_tags (image, tag) SELECT image, ? FROM image_tags "
                "WHERE tag = ? ON CONFLICT DO NOTHING",
                (existing[0], tag_id),
            )
            # The target keeps its own description, and takes the moved
            # tag's only when it has none, so no description is lost.
            await cursor.execute(
                "UPDATE tags SET description = (SELECT description FROM tags "
                "WHERE id = ?) WHERE id = ? AND description IS NULL",
                (tag_id, existing[0]),
            )
            await cursor.execute("DELETE FROM image_tags WHERE tag = ?", (tag_id,))
            await cursor.execute("DELETE FROM tags WHERE id = ?", (tag_id,))

    async def remove_tag(self, tag: str, cascade: bool = False) -> None:
        """Remove a tag from the library and from every image.

        With `cascade`, remove its descendants as well.
        """
        name = normalize_tag(tag)
        condition, params = ("name = ?", [name])
        if cascade:
            condition, params = tag_match_condition("name", [name])
        async with self.transaction() as cursor:
            await self.ensure_foreign_keys(cursor)
            rows = await cursor.fetch_all(
                f"SELECT id FROM tags WHERE {condition}", params
            )
            for (tag_id,) in rows:
                await cursor.execute("DELETE FROM image_tags WHERE tag = ?", (tag_id,))
                await cursor.execute("DELETE FROM tags WHERE id = ?", (tag_id,))
        logger.info("Removed %d tags under %r", len(rows), name)

    async def get_tag(self, tag: str, children: bool = False) -> Tag:
        """Return a tag with its description (and the names one level below).

        A tag that was never created returns a Tag whose id is None.
        """
        name = normalize_tag(tag)
        async with self.transaction(commit=False) as cursor:
            row = await cursor.fetch_one(
                "SELECT id, description FROM tags WHERE name = ?", (name,)
            )
            child_names = None
            if children:
                low, high = descendant_range(name)
                rows = await cursor.fetch_all(
                    "SELECT name FROM tags WHERE name > ? AND name < ?", (low, high)
                )
                child_names = {
                    low + descendant[len(low) :].split(SEPARATOR)[0]
                    for (descendant,) in rows
                }
        if row is None:
            return Tag(name=name, children=child_names)
        return Tag(name=name, id=row[0], description=row[1], children=child_names)

    async def all_tag_names(self) -> set[str]:
        """Return the names of every tag the library has."""
        async with self.transaction(commit=False) as cursor:
            rows = await cursor.fetch_all("SELECT name FROM tags")
        return {name for (name,) in rows}

    async def all_tags(self) -> dict[str, Any]:
        """Return the tag tree: {name: {"description": ..., "children": {...}}}.

        Parents that are only implied by their descendants appear with a
        description of None.
        """
        async with self.transaction(commit=False) as cursor:
            rows = await cursor.fetch_all("SELECT name, description FROM tags")
        tree: dict[str, Any] = {}
        for name, description in sorted(rows):
            level = tree
            node: dict[str, Any] = {}
            for part in name.split(SEPARATOR):
                node = level.setdefault(part, {"description": None, "children": {}})
                level = node["children"]
            node["description"] = description
        return tree

    async def tag_counts(self) -> dict[str, int]:
        """Return every tag with the number of images under it, descendants included.

        Parents implied only by their descendants are listed too; an image
        tagged with a tag and with one of its descendants counts once.
        """
        async with self.transaction(commit=False) as cursor:
            stored = await cursor.fetch_all("SELECT name FROM tags")
            names = sorted({prefix for (name,) in stored for prefix in _prefixes(name)})
            counts = {}
            for name in names:
                condition, params = tag_match_condition("tags.name", [name])
                row = await cursor.fetch_one(
                    "SELECT count(DISTINCT image_tags.image) FROM image_tags "
                    f"JOIN tags ON tags.id = image_tags.tag WHERE {condition}",
                    params,
                )
                counts[name] = row[0] if row else 0
        return counts

    async def get_tag_set(self, *image_ids: int, minimum: int = 1) -> dict[str, int]:
        """Return the tags on any of the images, with how many images have each."""
        counts: dict[str, int] = {}
        unique_ids = list(dict.fromkeys(image_ids))
        async with self.transaction(commit=False) as cursor:
            for chunk in chunked(unique_ids):
                rows = await cursor.fetch_all(
                    "SELECT tags.name, count(*) FROM image_tags "
                    "JOIN tags ON tags.id = image_tags.tag "
                    f"WHERE image_tags.image IN ({placeholders(len(chunk))}) "
                    "GROUP BY tags.name",
                    chunk,
                )
                for name, count in rows:
                    counts[name] = counts.get(name, 0) + int(count)
        return {name: count for name, count in counts.items() if count >= minimum}
