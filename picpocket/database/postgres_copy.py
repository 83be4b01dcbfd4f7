"""Inserting an import's rows into PostgreSQL with COPY.

One INSERT per row cost the server a parse, bind and execute each, and
psycopg adapted every row in the event loop's thread. COPY sends the
rows as one binary stream straight into images. COPY returns nothing,
so the rows' ids are drawn from the id column's sequence first and sent
with them.

Two ways of finding the ids afterwards read every image of the library
for each batch, because a library that grows during an import has no
statistics yet: a join with a staging table (a hash join over images),
and a lookup by (location, path) of the batch's paths (a sequential
scan, which made an import of 50,000 files four times as slow).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

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
    """A cursor that can run queries and COPY FROM STDIN."""

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
    """Insert rows into images, and return the id of each row's path.

    `types` names the PostgreSQL type of each column, and the second
    column must be path. COPY has no ON CONFLICT clause, so a row whose
    (location, path) is recorded already makes it raise psycopg's
    UniqueViolation.

    It runs inside the caller's transaction, so a rollback undoes it all.
    """
    if not rows:
        return {}
    drawn = await cursor.fetch_all(
        "SELECT nextval(pg_get_serial_sequence('images', 'id')) "
        "FROM generate_series(1, ?)",
        (len(rows),),
    )
    ids = [int(image_id) for (image_id,) in drawn]
    names = ", ".join(("id", *columns))
    async with cursor.copy(f"COPY images ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([_TYPE_NAMES[Types.ID], *types])
        for number, (image_id, row) in enumerate(zip(ids, rows), 1):
            await copy.write_row((image_id, *row))
            if number % ROWS_PER_TURN == 0:
                await asyncio.sleep(0)
    return {row[1]: image_id for image_id, row in zip(ids, rows)}
