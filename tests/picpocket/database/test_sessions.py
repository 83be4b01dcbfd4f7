"""Tests for sessions: short-lived JSON data such as a saved search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from picpocket.database.logic import Types
from picpocket.errors import InputValidationError

SEARCH = {
    "filter": {"text": "Canada Goose", "rating": 4},
    "order": ["-creation_date", "random"],
    "tags": ["bird/goose", "Zürich"],
    "reachable": True,
    "offset": None,
}


async def session_rows(api) -> int:
    async with api.transaction(commit=False) as cursor:
        row = await cursor.fetch_one("SELECT count(*) FROM sessions")
    return row[0]


async def stored_expiry(api, session_id: int) -> datetime:
    async with api.transaction(commit=False) as cursor:
        row = await cursor.fetch_one(
            "SELECT expires FROM sessions WHERE id = ?", (session_id,)
        )
    return api.sql.convert(Types.DATETIME, row[0])


async def test_create_returns_id(api):
    first = await api.create_session(SEARCH)
    second = await api.create_session(SEARCH)
    assert isinstance(first, int)
    assert first != second


async def test_get_round_trip(api):
    session_id = await api.create_session(SEARCH)
    assert await api.get_session(session_id) == SEARCH


async def test_get_empty_data(api):
    session_id = await api.create_session({})
    assert await api.get_session(session_id) == {}


async def test_get_unknown(api):
    assert await api.get_session(987654) is None


async def test_default_expiry_future(api):
    before = datetime.now(UTC)
    session_id = await api.create_session(SEARCH)
    expires = await stored_expiry(api, session_id)
    assert expires > before + timedelta(hours=1)


async def test_explicit_expiry_stored(api):
    expires = datetime(2999, 1, 2, 3, 4, 5, tzinfo=UTC)
    session_id = await api.create_session(SEARCH, expires)
    assert await stored_expiry(api, session_id) == expires


async def test_expiry_other_zone(api):
    zone = timezone(timedelta(hours=-7))
    expires = datetime.now(zone) + timedelta(minutes=30)
    session_id = await api.create_session(SEARCH, expires)
    assert await api.get_session(session_id) == SEARCH
    assert await stored_expiry(api, session_id) == expires


async def test_expired_returns_none(api):
    expires = datetime.now(UTC) - timedelta(seconds=1)
    session_id = await api.create_session(SEARCH, expires)
    assert await api.get_session(session_id) is None


async def test_prune_removes_expired(api):
    past = datetime.now(UTC) - timedelta(days=2)
    expired = await api.create_session({"old": 1}, past)
    current = await api.create_session({"new": 2})
    await api.prune_sessions()
    assert await session_rows(api) == 1
    assert await api.get_session(current) == {"new": 2}
    assert await api.get_session(expired) is None


async def test_prune_keeps_current(api):
    await api.create_session({"a": 1})
    await api.create_session({"b": 2}, datetime.now(UTC) + timedelta(minutes=5))
    await api.prune_sessions()
    assert await session_rows(api) == 2


async def test_prune_empty(api):
    await api.prune_sessions()
    assert await session_rows(api) == 0


@pytest.mark.parametrize(
    "data",
    [
        {"when": datetime(2024, 1, 1)},
        {"tags": {"bird", "goose"}},
        {"value": float("nan")},
        {"value": float("inf")},
        {"item": object()},
    ],
    ids=["datetime", "set", "nan", "infinity", "object"],
)
async def test_create_not_json(api, data):
    with pytest.raises(InputValidationError, match="JSON"):
        await api.create_session(data)
    assert await session_rows(api) == 0


@pytest.mark.parametrize(
    "data", [["a", "b"], "text", None], ids=["list", "str", "none"]
)
async def test_create_not_dict(api, data):
    with pytest.raises(InputValidationError):
        await api.create_session(data)
    assert await session_rows(api) == 0


async def test_create_bad_expiry(api):
    with pytest.raises(InputValidationError, match="expires"):
        await api.create_session(SEARCH, "tomorrow")
    assert await session_rows(api) == 0


@pytest.mark.parametrize(
    "data",
    [{"text": "a\x00b"}, {"a\x00": 1}, {"list": [["\x00"]]}],
    ids=["value", "key", "nested"],
)
async def test_create_nul_text(api, data):
    with pytest.raises(InputValidationError, match="NUL"):
        await api.create_session(data)
    assert await session_rows(api) == 0


async def test_escaped_text_round_trip(api):
    data = {"text": "\\u0000 is not a NUL", "quote": "\"'%_?"}
    session_id = await api.create_session(data)
    assert await api.get_session(session_id) == data


@pytest.mark.parametrize("session_id", ["1", "abc", 1.0, True], ids=repr)
async def test_get_bad_id(api, session_id):
    await api.create_session(SEARCH)
    with pytest.raises(InputValidationError, match="session id"):
        await api.get_session(session_id)
