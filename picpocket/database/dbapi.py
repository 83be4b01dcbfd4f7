"""The DBAPI 2.0 implementation of PicPocket shared by SQLite and PostgreSQL.

A backend subclasses DbApi and supplies `sql`, `connect`, `cursor`,
`close`, its `schema_types` and its `integrity_errors`, plus the
classmethods `parse_connection_info`, `create` and `open` that
`picpocket.initialize` and `picpocket.load` call.
"""

from __future__ import annotations

from picpocket.database.backup import BackupMixin
from picpocket.database.locations import LocationsMixin
from picpocket.database.search import SearchMixin
from picpocket.database.sessions import SessionsMixin
from picpocket.database.verify import VerifyMixin


class DbApi(BackupMixin, VerifyMixin, SearchMixin, LocationsMixin, SessionsMixin):
    """A DBAPI 2.0 implementation of the PicPocket protocol."""


__all__ = ["DbApi"]
