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


class SessionsMixin(DbApiBase):
    """Store, fetch and prune sessions."""

    async def create_session(
        self, data: dict[str, Any], expires: datetime | None = None
    ) -> int:
        """Store JSON-serializable data until `expires` (a day by default)."""
        try:
            json.dumps(data)
        except (TypeError, ValueError) as error:
            raise InputValidationError(
                f"Session data must be JSON-serializable: {error}"
            ) from None
        if expires is None:
            expires = datetime.now(UTC) + DEFAULT_SESSION_LIFETIME
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
