"""The library schema as a list of migrations, shared by every backend.

Schema version N is the result of applying the first N migrations.
Statements use markers for the types that differ between databases;
each backend supplies a `SchemaTypes` to fill them in.
"""

from __future__ import annotations

from dataclasses import dataclass

from picpocket.errors import PicPocketError


@dataclass(frozen=True)
class SchemaTypes:
    """Column types of one database."""

    id: str  # an auto-assigned integer primary key
    reference: str  # a column that refers to an id
    boolean: str
    datetime: str
    json: str
    text: str
    # The index column order that sorts descending with missing values
    # last. SQLite sorts NULL below every value, so plain DESC does that.
    descending: str = "DESC"

    def fill(self, statement: str) -> str:
        return statement.format(
            id=self.id,
            ref=self.reference,
            bool=self.boolean,
            datetime=self.datetime,
            json=self.json,
            text=self.text,
            descending=self.descending,
        )


_CORE_TABLES = [
    """CREATE TABLE locations (
        id {id},
        name {text} NOT NULL UNIQUE,
        description {text},
        path {text},
        source {bool} NOT NULL,
        destination {bool} NOT NULL,
        removable {bool} NOT NULL
    )""",
    """CREATE TABLE tasks (
        id {id},
        name {text} NOT NULL UNIQUE,
        description {text},
        source {ref} NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
        destination {ref} NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
        configuration {json} NOT NULL
    )""",
    """CREATE TABLE task_invocations (
        task {ref} PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
        last_ran {datetime} NOT NULL
    )""",
    """CREATE TABLE images (
        id {id},
        location {ref} NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
        path {text} NOT NULL,
        name {text} NOT NULL,
        extension {text},
        creator {text},
        title {text},
        caption {text},
        alt {text},
        rating INTEGER,
        hash {text},
        width INTEGER,
        height INTEGER,
        creation_date {datetime},
        last_modified {datetime},
        exif {json},
        UNIQUE (location, path)
    )""",
    """CREATE TABLE tags (
        id {id},
        name {text} NOT NULL UNIQUE,
        depth INTEGER NOT NULL,
        description {text}
    )""",
    """CREATE TABLE image_tags (
        image {ref} NOT NULL REFERENCES images (id) ON DELETE CASCADE,
        tag {ref} NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
        PRIMARY KEY (image, tag)
    )""",
]

# Every property that searches filter or order on gets an index, so a
# search stays fast on a library of a million photos.
_SEARCH_INDEXES = [
    f"CREATE INDEX images_{column} ON images ({column})"
    for column in (
        "name",
        "extension",
        "creator",
        "path",
        "title",
        "caption",
        "alt",
        "rating",
        "hash",
        "width",
        "height",
        "creation_date",
        "last_modified",
    )
] + [
    "CREATE INDEX image_tags_tag ON image_tags (tag, image)",
    "CREATE INDEX tasks_source ON tasks (source)",
    "CREATE INDEX tasks_destination ON tasks (destination)",
]

_SESSIONS = [
    """CREATE TABLE sessions (
        id {id},
        data {json} NOT NULL,
        expires {datetime} NOT NULL
    )""",
    "CREATE INDEX sessions_expires ON sessions (expires)",
]

# The desktop app sorts by these properties, newest or highest first by
# default. An index in exactly that order (missing values last, ties by
# id) lets a search read the first page without sorting every image.
# PostgreSQL cannot read `DESC NULLS LAST` backwards from an ascending
# index. SQLite can, but then sorts each run of equal values by id, such
# as all the unrated images.
_DESCENDING_ORDER_INDEXES = [
    f"CREATE INDEX images_{column}_descending ON images "
    f"({column} {{descending}}, id)"
    for column in ("creation_date", "rating", "name", "path")
]

MIGRATIONS: list[list[str]] = [
    _CORE_TABLES,
    _SEARCH_INDEXES + _SESSIONS,
    _DESCENDING_ORDER_INDEXES,
]

SCHEMA_VERSION = len(MIGRATIONS)

VERSION_TABLE = "CREATE TABLE IF NOT EXISTS version (version INTEGER NOT NULL)"


def pending_statements(types: SchemaTypes, current: int, target: int) -> list[str]:
    """Return the statements that take the schema from `current` to `target`.

    Raises:
        PicPocketError: the library is newer than this version of PicPocket.
    """
    if current > SCHEMA_VERSION:
        raise PicPocketError(
            f"This library has schema version {current}, but this PicPocket "
            f"supports up to version {SCHEMA_VERSION}; upgrade PicPocket to "
            f"open it"
        )
    statements = []
    for migration in MIGRATIONS[current:target]:
        statements.extend(types.fill(statement) for statement in migration)
    return statements
