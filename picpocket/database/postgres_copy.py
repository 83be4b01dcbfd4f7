"""Inserting an import's rows into PostgreSQL with COPY.

One INSERT per row cost the server a parse, bind and execute each, and
psycopg adapted every row in the event loop's thread. COPY sends the
rows as one binary stream straight into images. The ids come back from
one lookup by (location, path), which the unique index answers without
reading the rest of the library. (A join with a staging table, used
before, read every image of the library for each batch.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from picpocket.database.base import chunked, placeholders
from picpocket.database.logic import Types

# psycopg formats COPY rows in the event loop's thread, up to 20 µs a row
# with a camera's EXIF block, so the loop gets a turn after this many.
ROWS_PER_TURN = 100
# The binary COPY format needs each column's exact PostgreSQL type.
_TYPE_NAMES = {
    Types.ID: "int8",
    Types.NUMBER: "int4",
    Types.TEXT: "text",
    Types.DATETIME: "timestamptz",
    Types.JSON: "jsonb",
}


class CopyCursor(Protocol):
    """A cursor that can run statements and COPY FROM STDIN."""

    async def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    async def fetch_all(
        self, statement: str, params: Sequence[Any] = ()
    ) -> list[Sequence[Any]]: ...

    def copy(self, statement: str) -> Any: ...


def copy_types(columns: Sequence[str], kinds: dict[str, Types]) -> list[str]:
    """Return the PostgreSQL type names of columns, given their kinds."""
    return [_TYPE_NAMES[kinds[column]] for column in columns]


async def copy_image_rows(
    cursor: CopyCursor,
    columns: Sequence[str],
    types: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> dict[str, int]:
    """Insert rows of one location into images, and return the id of each path.

    The columns must start with location and path, and `types` names
    their PostgreSQL types. COPY has no ON CONFLICT clause, so a row whose
    (location, path) is recorded already makes it raise psycopg's
    UniqueViolation.

    It runs inside the caller's transaction, so a rollback undoes it all.
    """
    if not rows:
        return {}
    names = ", ".join(columns)
    async with cursor.copy(f"COPY images ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for number, row in enumerate(rows, 1):
            await copy.write_row(row)
            if number % ROWS_PER_TURN == 0:
                await asyncio.sleep(0)
    return await _recorded_ids(cursor, rows[0][0], [row[1] for row in rows])


async def _recorded_ids(
    cursor: CopyCursor, location_id: int, paths: list[str]
) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in chunked(paths):
        found = await cursor.fetch_all(
            f"SELECT path, id FROM images WHERE location = ? "
            f"AND path IN ({placeholders(len(chunk))})",
            (location_id, *chunk),
        )
        ids.update((path, int(image_id)) for path, image_id in found)
    return ids
