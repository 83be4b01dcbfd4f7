"""Short-lived data about a user's query, such as a saved search."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from picpocket.database.base import DbApiBase
from picpocket.database.logic import Types
from picpocket.errors import InputValidationError

logger = logging.getLogger(__name__)

DEFAULT_SESSION_LIFETIME = timedelta(days=1)


def _check_data(data: Any) -> None:
    if not isinstance(data, dict):
        raise InputValidationError(
            f"Session data must be a dict that JSON can hold, got {type(data).__name__}"
        )
    try:
        # NaN and infinity are not JSON, and PostgreSQL's jsonb rejects them.
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InputValidationError(
            f"Session data must be JSON-serializable: {error}"
        ) from None
    if _contains_nul(data):
        # PostgreSQL's jsonb cannot store the NUL character; it is rejected
        # on every backend so that a library behaves the same on both.
        raise InputValidationError(
            "Session data must not contain NUL characters (\\x00) in its text"
        )


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(
            _contains_nul(key) or _contains_nul(item) for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        return any(_contains_nul(item) for item in value)
    return False


class SessionsMixin(DbApiBase):
    """Store, fetch and prune sessions."""

    async def create_session(
        self, data: dict[str, Any], expires: datetime | None = None
    ) -> int:
        """Store JSON-serializable data until `expires` and return the session id.

        `expires` defaults to a day from now; a naive datetime is local time.

        Raises:
            InputValidationError: `data` is not a dict that JSON can hold,
                or `expires` is not a datetime.
        """
        _check_data(data)
        if expires is None:
            expires = datetime.now(UTC) + DEFAULT_SESSION_LIFETIME
        elif not isinstance(expires, datetime):
            raise InputValidationError(
                f"expires must be a datetime or None, got {expires!r}"
            )
        adapt = self.sql.adapt
        async with self.transaction() as cursor:
            row = await cursor.fetch_one(
                "INSERT INTO sessions (data, expires) VALUES (?, ?) RETURNING id",
                (adapt(Types.JSON, data), adapt(Types.DATETIME, expires)),
            )
        assert row is not None
        return int(row[0])

    async def get_session(self, session_id: int) -> dict[str, Any] | None:
        """Return a session's data, or None when it is unknown or expired."""
        if isinstance(session_id, bool) or not isinstance(session_id, int):
            raise InputValidationError(
                f"A session id must be an integer, got {session_id!r}"
            )
        now = self.sql.adapt(Types.DATETIME, datetime.now(UTC))
        async with self.transaction(commit=False) as cursor:
            row = await cursor.fetch_one(
                "SELECT data FROM sessions WHERE id = ? AND expires > ?",
                (session_id, now),
            )
        return None if row is None else self.sql.convert(Types.JSON, row[0])

    async def prune_sessions(self) -> None:
        """Remove every expired session."""
        now = self.sql.adapt(Types.DATETIME, datetime.now(UTC))
        async with self.transaction() as cursor:
            await cursor.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
