"""Searching, counting and fetching images."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from picpocket.database.base import IMAGE_COLUMNS, Cursor, DbApiBase, placeholders
from picpocket.database.logic import Comparison
from picpocket.database.tags import normalize_tags, tag_match_condition
from picpocket.database.types import Image
from picpocket.errors import InputValidationError

_ORDER_KEY = re.compile(r"(?P<descending>-)?(?P<first>!)?(?P<name>[a-z_]+)(?P<last>!)?")


Subquery = tuple[str, list[Any]]


def _tag_subquery(names: list[str]) -> Subquery:
    condition, params = tag_match_condition("tags.name", names)
    return (
        "SELECT image_tags.image FROM image_tags JOIN tags "
        f"ON tags.id = image_tags.tag WHERE {condition}",
        params,
    )


def _check_flag(argument: str, value: bool | None) -> None:
    if value is not None and not isinstance(value, bool):
        raise InputValidationError(
            f"{argument} must be True, False or None, got {value!r}"
        )


@dataclass(frozen=True)
class TagCriteria:
    """The tag criteria of a search, as queries that select image ids.

    An image matches when every `required` query selects it and no
    `excluded` query does.
    """

    required: tuple[Subquery, ...] = ()
    excluded: tuple[Subquery, ...] = ()

    def compound(self) -> Subquery:
        """Return one query over image_tags that selects the matching images.

        Only valid when some criterion is required.
        """
        # INTERSECTs come before every EXCEPT, so SQLite's left-to-right
        # reading and PostgreSQL's INTERSECT-first precedence agree.
        query = " INTERSECT ".join(query for query, _ in self.required)
        for excluded, _ in self.excluded:
            query += f" EXCEPT {excluded}"
        return query, _parameters(self.required + self.excluded)

    def conditions(
        self, id_expression: str = "images.id"
    ) -> tuple[list[str], list[Any]]:
        """Return the WHERE conditions on `id_expression` and their parameters.

        With a required criterion, all of them become one compound query
        (INTERSECT, then EXCEPT), which reads only the tagged images
        instead of testing every image against each criterion.
        """
        if not self.required:
            conditions = [
                f"{id_expression} NOT IN ({query})" for query, _ in self.excluded
            ]
            return conditions, _parameters(self.excluded)
        query, params = self.compound()
        return [f"{id_expression} IN ({query})"], params


def _parameters(subqueries: tuple[Subquery, ...]) -> list[Any]:
    return [value for _, values in subqueries for value in values]


def tag_criteria(
    tagged: bool | None,
    any_tags: list[str] | None,
    all_tags: list[str] | None,
    no_tags: list[str] | None,
) -> TagCriteria:
    """Return the tag criteria of a search, or raise InputValidationError."""
    _check_flag("tagged", tagged)
    required: list[Subquery] = []
    excluded: list[Subquery] = []
    if tagged is not None:
        (required if tagged else excluded).append(
            ("SELECT image FROM image_tags", [])
        )
    any_names = normalize_tags("any_tags", any_tags)
    if any_names:
        required.append(_tag_subquery(any_names))
    for tag in normalize_tags("all_tags", all_tags):
        required.append(_tag_subquery([tag]))
    no_names = normalize_tags("no_tags", no_tags)
    if no_names:
        excluded.append(_tag_subquery(no_names))
    return TagCriteria(tuple(required), tuple(excluded))


def leading_order_column(order: tuple[str, ...] | None) -> str | None:
    """Return the property that an already checked `order` sorts by first.

    Returns None when there is no order or it starts with 'random'.
    """
    if not order or order[0] == "random":
        return None
    match = _ORDER_KEY.fullmatch(order[0])
    return None if match is None else match["name"]


class SearchMixin(DbApiBase):
    """Filter, order and page through images."""

    async def _where(
        self,
        cursor: Cursor,
        filter: Comparison | None,
        tagged: bool | None,
        any_tags: list[str] | None,
        all_tags: list[str] | None,
        no_tags: list[str] | None,
        reachable: bool | None,
        order: tuple[str, ...] | None = None,
        limit: int | None = None,
    ) -> tuple[str, list[Any]]:
        _check_flag("reachable", reachable)
        conditions: list[str] = []
        params: list[Any] = []
        if filter is not None:
            if not isinstance(filter, Comparison):
                raise InputValidationError(
                    f"filter must be a Comparison such as Text or And, got {filter!r}"
                )
            condition, values = filter.compile(self.sql, self.image_columns())
            conditions.append(condition)
            params.extend(values)

        tags = tag_criteria(tagged, any_tags, all_tags, no_tags)
        tag_conditions, tag_params = await self._tag_conditions(
            cursor, tags, order, limit
        )
        conditions.extend(tag_conditions)
        params.extend(tag_params)

        if reachable is not None:
            roots = await self._reachable_roots(cursor)
            ids = sorted(roots)
            negation = "" if reachable else "NOT "
            if ids:
                conditions.append(
                    f"images.location {negation}IN ({placeholders(len(ids))})"
                )
                params.extend(ids)
            elif reachable:
                conditions.append("1 = 0")
        where = " WHERE " + " AND ".join(conditions) if conditions else ""
        return where, params

    async def _tag_conditions(
        self,
        cursor: Cursor,
        tags: TagCriteria,
        order: tuple[str, ...] | None,
        limit: int | None,
    ) -> tuple[list[str], list[Any]]:
        """Return the WHERE conditions of the tag criteria and their parameters.

        `order` and `limit` are those of the search, already checked, so
        that a backend can pick the form its query planner runs fastest.
        """
        return tags.conditions()

    def _order_by(self, order: tuple[str, ...] | None) -> str:
        if order is None:
            return " ORDER BY images.id"
        if not isinstance(order, (tuple, list)):
            raise InputValidationError(
                f"order takes a tuple of property names, got {order!r}"
            )
        terms = [self._order_term(key) for key in order]
        if "random" not in order:
            # A final key on id makes ties come back in the same order.
            terms.append("images.id")
        return " ORDER BY " + ", ".join(terms)

    def _order_term(self, key: str) -> str:
        """Return the ORDER BY term for one order key, or raise."""
        if key == "random":
            return "random()"
        columns = self.image_columns()
        match = _ORDER_KEY.fullmatch(key) if isinstance(key, str) else None
        if (
            match is None
            or match["name"] not in columns
            or (match["first"] and match["last"])
        ):
            known = ", ".join(sorted(columns))
            raise InputValidationError(
                f"Invalid order key {key!r}; use a property ({known}) or "
                f"'random', with '-' before it for descending and '!' "
                f"before or after it to put missing values first or last"
            )
        direction = "DESC" if match["descending"] else "ASC"
        # Missing values go last unless '!' comes before the name.
        nulls = "FIRST" if match["first"] else "LAST"
        expression = columns[match["name"]].expression
        return f"{expression} {direction} NULLS {nulls}"

    def _page(self, limit: int | None, offset: int | None) -> str:
        """Return the LIMIT/OFFSET clause; limit 0 matches nothing, and an
        offset without a limit skips that many images and returns the rest."""
        for name, value in (("limit", limit), ("offset", offset)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputValidationError(
                    f"{name} must be a whole number of 0 or more, got {value!r}"
                )
        return self.sql.limit_offset(limit, offset)

    async def count_images(
        self,
        filter: Comparison | None = None,
        tagged: bool | None = None,
        any_tags: list[str] | None = None,
        all_tags: list[str] | None = None,
        no_tags: list[str] | None = None,
        reachable: bool | None = None,
    ) -> int:
        """Return how many images match the criteria."""
        async with self.search_cursor() as cursor:
            if filter is None and reachable is None:
                tags = tag_criteria(tagged, any_tags, all_tags, no_tags)
                if tags.required:
                    # image_tags.image always names an existing image, so
                    # counting the compound over image_tags alone gives the
                    # same number without reading the images table. DISTINCT
                    # counts an image with two matching tags once.
                    query, params = tags.compound()
                    statement = (
                        f"SELECT count(DISTINCT image) FROM ({query}) AS matching"
                    )
                    row = await cursor.fetch_one(statement, params)
                    return 0 if row is None else int(row[0])
            where, params = await self._where(
                cursor, filter, tagged, any_tags, all_tags, no_tags, reachable
            )
            row = await cursor.fetch_one(f"SELECT count(*) FROM images{where}", params)
        return 0 if row is None else int(row[0])

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
    ) -> list[int]:
        """Return the ids of matching images, ordered and paged.

        Raises:
            InputValidationError: a filter, tag list, order key, limit or
                offset is invalid. A limit must be 1 or more, and an offset
                needs a limit.
        """
        tail = self._order_by(order) + self._page(limit, offset)
        async with self.search_cursor() as cursor:
            where, params = await self._where(
                cursor, filter, tagged, any_tags, all_tags, no_tags, reachable,
                order, limit,
            )
            rows = await cursor.fetch_all(
                f"SELECT images.id FROM images{where}{tail}", params
            )
        return [int(row[0]) for row in rows]

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
    ) -> list[Image]:
        """Return matching images, ordered and paged (without their tags).

        Raises:
            InputValidationError: a filter, tag list, order key, limit or
                offset is invalid. A limit must be 1 or more, and an offset
                needs a limit.
        """
        tail = self._order_by(order) + self._page(limit, offset)
        columns = ", ".join(f"images.{column}" for column in IMAGE_COLUMNS)
        async with self.search_cursor() as cursor:
            where, params = await self._where(
                cursor, filter, tagged, any_tags, all_tags, no_tags, reachable,
                order, limit,
            )
            rows = await cursor.fetch_all(
                f"SELECT {columns} FROM images{where}{tail}", params
            )
            roots = await self._reachable_roots(cursor)
        return [self._image_from_row(row, roots) for row in rows]

    async def get_image(self, id: int, tags: bool = False) -> Image | None:
        """Return an image by id, with its tags when `tags` is true."""
        async with self.transaction(commit=False) as cursor:
            images = await self._images_by_ids(cursor, [id], tags=tags)
        return images[0] if images else None

    async def get_images(
        self, ids: Iterable[int], tags: bool = False
    ) -> list[Image]:
        """Return the images with these ids, in the order given, skipping unknown ids."""
        async with self.transaction(commit=False) as cursor:
            return await self._images_by_ids(cursor, list(ids), tags=tags)

    async def find_image(self, path: Path, tags: bool = False) -> Image | None:
        """Return the image stored at a full path, if PicPocket has it.

        The path is compared with each reachable root both as written and
        with symbolic links resolved, so either spelling of a linked
        folder finds the image.
        """
        target = Path(os.path.abspath(Path(path).expanduser()))
        async with self.transaction(commit=False) as cursor:
            roots = await self._reachable_roots(cursor)
            for location_id, root in roots.items():
                for relative in _relative_candidates(target, root):
                    row = await cursor.fetch_one(
                        "SELECT id FROM images WHERE location = ? AND path = ?",
                        (location_id, relative),
                    )
                    if row is not None:
                        found = await self._images_by_ids(cursor, [row[0]], tags=tags)
                        return found[0] if found else None
        return None


def _relative_candidates(target: Path, root: Path) -> list[str]:
    """Return target's possible paths relative to root, as stored (posix)."""
    candidates = []
    pairs = (
        (target, Path(os.path.abspath(root))),
        (Path(os.path.realpath(target)), Path(os.path.realpath(root))),
    )
    for full, base in pairs:
        try:
            relative = PurePosixPath(full.relative_to(base).as_posix()).as_posix()
        except ValueError:
            continue
        if relative != "." and relative not in candidates:
            candidates.append(relative)
    return candidates
