"""Property tests: what goes in comes back out, on both backends.

Hypothesis draws file names, tag names and metadata text from all of
Unicode except what the engine rejects (NUL, and the surrogates that UTF-8
cannot encode), with `%`, `_`, the escape character `\\`, quotes and `/`
drawn often. Each test keeps one library (the `api` fixture runs once per
backend) and gives every example its own images, folders or locations, so
examples cannot see each other's data.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from picpocket.database.logic import And, Comparator, Number, Or, Text
from picpocket.errors import InputValidationError

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEXT_FIELDS = ("title", "caption", "alt", "creator")
SPECIAL = ["%", "_", "\\", "'", '"', "/", " ", "\n", "*", "?", "[", "é", "\u0301"]
LIKE_SPECIAL = "%_\\"
# Numbers the folders and locations that examples create, so none is reused.
COUNTER = itertools.count()
# Letters whose upper and lower case map to each other one to one, from
# scripts whose case mappings Python, glibc and SQLite's casefold agree on.
CASE_RANGES = [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x370, 0x3FF),
               (0x400, 0x52F), (0x531, 0x587)]


def has_simple_case(char: str) -> bool:
    upper, lower = char.upper(), char.lower()
    return (
        char.isalpha()
        and len(upper) == len(lower) == 1
        and upper != lower
        and upper.lower() == lower
        and lower.upper() == upper
        and upper.casefold() == lower.casefold() == char.casefold()
    )


CASE_LETTERS = [
    chr(code)
    for start, end in CASE_RANGES
    for code in range(start, end + 1)
    if has_simple_case(chr(code))
]

any_char = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
texts = st.text(
    alphabet=st.one_of(any_char, st.sampled_from(SPECIAL)), min_size=1, max_size=24
)
texts_with_like_special = st.builds(
    lambda before, special, after: before + special + after,
    st.text(alphabet=st.one_of(any_char, st.sampled_from(SPECIAL)), max_size=10),
    st.sampled_from(LIKE_SPECIAL),
    st.text(alphabet=st.one_of(any_char, st.sampled_from(SPECIAL)), max_size=10),
)
cased_texts = st.text(
    alphabet=st.one_of(st.sampled_from(CASE_LETTERS), st.sampled_from(SPECIAL)),
    min_size=1,
    max_size=24,
)
name_chars = st.one_of(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"),
    st.sampled_from([c for c in SPECIAL if c != "/"]),
)
stems = st.text(alphabet=name_chars, min_size=1, max_size=30).filter(
    lambda stem: stem not in (".", "..")
)
suffixes = st.sampled_from(["jpg", "JPG", "jpeg", "png"])
tag_levels = st.text(alphabet=name_chars, min_size=1, max_size=8)


@st.composite
def tag_names(draw) -> str:
    """Draw a tag of one to three levels, sometimes with outer slashes."""
    levels = draw(st.lists(tag_levels, min_size=1, max_size=3))
    lead = draw(st.sampled_from(["", "/", "//"]))
    trail = draw(st.sampled_from(["", "/"]))
    return lead + "/".join(levels) + trail


def related_tags(name: str) -> st.SearchStrategy[str]:
    """Return tags that sit near `name` in the tags' byte order.

    The tag itself, a child, a name that only extends the last level (such
    as `a_b` and `a_b0`) and unrelated tags, so a search or move that treats
    a prefix as a parent fails.
    """
    return st.one_of(
        st.just(name),
        tag_levels.map(lambda level: f"{name}/{level}"),
        tag_levels.map(lambda level: f"{name}{level}"),
        tag_names(),
    )


def normal(tag: str) -> str:
    """Return the tag as the engine stores it (no outer slashes)."""
    return tag.strip("/")


def is_under(tag: str, ancestor: str) -> bool:
    """Return whether tag is ancestor or one of its descendants."""
    return tag == ancestor or tag.startswith(ancestor + "/")


def moved(tag: str, old: str, new: str) -> str:
    return new + tag[len(old):] if is_under(tag, old) else tag


def within(*ids: int) -> Or:
    return Or(*(Number("id", Comparator.EQUALS, image_id) for image_id in ids))


# Fixtures ---------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "main"
    folder.mkdir()
    return folder


@pytest.fixture
async def pair(api, root: Path, jpegs: Path) -> tuple[int, int]:
    """Return two images: one an example writes to, and a decoy beside it."""
    await api.add_location("main", root, source=True, destination=True,
                           removable=False)
    first = await api.add_image_copy(jpegs / "Canon_40D.jpg", "main", Path("a.jpg"))
    second = await api.add_image_copy(jpegs / "Nikon_D70.jpg", "main", Path("b.jpg"))
    return first, second


# Metadata text ----------------------------------------------------------------


@EXAMPLES
@given(field=st.sampled_from(TEXT_FIELDS), value=texts, data=st.data())
async def test_metadata_text_found(api, pair, field, value, data):
    image_id, _ = pair
    start = data.draw(st.integers(0, len(value) - 1), label="start")
    end = data.draw(st.integers(start + 1, len(value)), label="end")
    await api.edit_image(image_id, **{field: value})

    stored = getattr(await api.get_image(image_id), field)
    queries = [
        (Comparator.EQUALS, value),
        (Comparator.CONTAINS, value[start:end]),
        (Comparator.STARTS_WITH, value[:end]),
        (Comparator.ENDS_WITH, value[start:]),
    ]

    assert stored == value
    for comparator, query in queries:
        found = await api.get_image_ids(
            And(within(image_id), Text(field, comparator, query))
        )
        assert found == [image_id], (comparator, query)


@EXAMPLES
@given(field=st.sampled_from(TEXT_FIELDS), value=texts_with_like_special)
async def test_metadata_specials_literal(api, pair, field, value):
    # The decoy has every %, _ and \ replaced, so it matches only if the
    # engine let one of them act as a wildcard or an escape.
    image_id, decoy_id = pair
    decoy = "".join("x" if char in LIKE_SPECIAL else char for char in value)
    await api.edit_image(image_id, **{field: value})
    await api.edit_image(decoy_id, **{field: decoy})

    for comparator in (Comparator.CONTAINS, Comparator.STARTS_WITH,
                       Comparator.ENDS_WITH, Comparator.EQUALS):
        found = await api.get_image_ids(
            And(within(image_id, decoy_id), Text(field, comparator, value))
        )
        assert found == [image_id], comparator


@EXAMPLES
@given(field=st.sampled_from(TEXT_FIELDS), value=cased_texts)
async def test_metadata_case_ignored(api, pair, field, value):
    image_id, _ = pair
    await api.edit_image(image_id, **{field: value})

    for query in (value.upper(), value.lower(), value.swapcase()):
        for comparator in (Comparator.CONTAINS, Comparator.STARTS_WITH,
                           Comparator.ENDS_WITH):
            found = await api.get_image_ids(
                And(within(image_id), Text(field, comparator, query))
            )
            assert found == [image_id], (comparator, query)


# File names -------------------------------------------------------------------


@EXAMPLES
@given(stem=stems, suffix=suffixes)
async def test_file_name_copied(api, pair, root, jpegs, stem, suffix):
    name = f"{stem}.{suffix}"
    assume(len(name.encode("utf-8")) <= 255)
    folder = f"copy{next(COUNTER)}"

    image_id = await api.add_image_copy(
        jpegs / "Canon_40D.jpg", "main", Path(folder) / name
    )

    image = await api.get_image(image_id)
    found = await api.find_image(root / folder / name)
    by_path = await api.get_image_ids(
        Text("path", Comparator.EQUALS, f"{folder}/{name}")
    )
    by_name = await api.get_image_ids(
        And(within(image_id), Text("name", Comparator.EQUALS, stem))
    )
    assert image.path.as_posix() == f"{folder}/{name}"
    assert (image.name, image.extension) == (stem, suffix.lower())
    assert (root / folder / name).read_bytes() == (jpegs / "Canon_40D.jpg").read_bytes()
    assert found is not None and found.id == image_id
    assert by_path == [image_id]
    assert by_name == [image_id]


@EXAMPLES
@given(stem=stems, suffix=suffixes)
async def test_file_name_imported(api, pair, root, jpegs, stem, suffix):
    name = f"{stem}.{suffix}"
    assume(len(name.encode("utf-8")) <= 255)
    folder = root / f"import{next(COUNTER)}"
    folder.mkdir()
    shutil.copyfile(jpegs / "Kodak_CX7530.jpg", folder / name)

    ids = await api.import_location("main")

    images = await api.get_images(ids)
    assert [image.path for image in images] == [folder.relative_to(root) / name]
    assert images[0].extension == suffix.lower()


# Tags -------------------------------------------------------------------------


@EXAMPLES
@given(tag=tag_names(), data=st.data())
async def test_tag_search(api, pair, tag, data):
    image_id, decoy_id = pair
    decoy = data.draw(related_tags(normal(tag)), label="decoy")
    name, decoy_name = normal(tag), normal(decoy)
    parent = name.split("/")[0]
    await api.tag_image(image_id, tag)
    await api.tag_image(decoy_id, decoy)
    decoy_expected = {decoy_id} if is_under(decoy_name, name) else set()
    parent_expected = {decoy_id} if is_under(decoy_name, parent) else set()

    try:
        tags = (await api.get_image(image_id, tags=True)).tags
        any_found = await api.get_image_ids(within(image_id, decoy_id), any_tags=[tag])
        parent_found = await api.get_image_ids(
            within(image_id, decoy_id), any_tags=[parent]
        )
        all_found = await api.get_image_ids(
            within(image_id, decoy_id), all_tags=[tag, parent]
        )
        none_found = await api.get_image_ids(within(image_id, decoy_id), no_tags=[tag])
    finally:
        await api.remove_tag(name, cascade=True)
        await api.remove_tag(decoy_name, cascade=True)

    assert tags == [name]
    assert set(any_found) == {image_id} | decoy_expected
    assert set(parent_found) == {image_id} | parent_expected
    assert set(all_found) == {image_id} | decoy_expected
    assert set(none_found) == {decoy_id} - decoy_expected


@EXAMPLES
@given(tag=tag_names(), new=tag_names(), data=st.data())
async def test_tag_move(api, pair, tag, new, data):
    image_id, other_id = pair
    other = data.draw(related_tags(normal(tag)), label="other")
    name, other_name, new_name = normal(tag), normal(other), normal(new)
    assume(name != new_name)
    await api.tag_image(image_id, tag)
    await api.tag_image(other_id, other)

    try:
        await api.move_tag(tag, new)
        tags = (await api.get_image(image_id, tags=True)).tags
        other_tags = (await api.get_image(other_id, tags=True)).tags
        found = await api.get_image_ids(within(image_id), any_tags=[new])
        left = await api.get_image_ids(within(image_id), all_tags=[tag])
    finally:
        for stale in {new_name, moved(other_name, name, new_name), name, other_name}:
            await api.remove_tag(stale, cascade=True)

    assert tags == [new_name]
    assert other_tags == [moved(other_name, name, new_name)]
    assert found == [image_id]
    assert left == ([image_id] if is_under(new_name, name) else [])


# Backups ----------------------------------------------------------------------


@EXAMPLES
@given(
    stem=stems,
    values=st.fixed_dictionaries({field: texts for field in TEXT_FIELDS}),
    tags=st.lists(tag_names(), min_size=1, max_size=3),
    description=texts,
)
async def test_backup_round_trip(api, tmp_path, jpegs, stem, values, tags, description):
    name = f"{stem}.jpg"
    assume(len(name.encode("utf-8")) <= 255)
    number = next(COUNTER)
    location, folder = f"place {number}", tmp_path / f"place{number}"
    folder.mkdir()
    await api.add_location(location, folder, destination=True, removable=False)
    image_id = await api.add_image_copy(
        jpegs / "Pentax_K10D.jpg", location, Path(name), tags=tags, rating=3, **values
    )
    await api.add_tag(tags[0], description)
    before = await api.get_image(image_id, tags=True)
    backup = tmp_path / f"backup{number}.json"

    await api.export_data(backup, locations=[location])
    await api.remove_location(location, force=True)
    await api.import_data(backup)

    after = await api.find_image(folder / name, tags=True)
    assert after is not None
    assert after.path == before.path
    assert after.hash == before.hash
    assert sorted(after.tags) == sorted(before.tags)
    assert sorted(after.tags) == sorted({normal(tag) for tag in tags})
    assert after.rating == 3
    for field in TEXT_FIELDS:
        assert getattr(after, field) == values[field], field
    assert (await api.get_tag(tags[0])).description == description


# Lone surrogates are not valid Unicode: every text input rejects them.
SURROGATE = "bad\udcff"


async def test_surrogate_tag_rejected(api):
    with pytest.raises(InputValidationError):
        await api.add_tag(SURROGATE)


async def test_surrogate_location_rejected(api, tmp_path):
    with pytest.raises(InputValidationError):
        await api.add_location(SURROGATE, tmp_path, destination=True)


async def test_surrogate_title_rejected(api, tmp_path, jpegs):
    await api.add_location("main", tmp_path, destination=True, removable=False)
    image_id = await api.add_image_copy(jpegs / "Canon_40D.jpg", "main", Path("a.jpg"))
    with pytest.raises(InputValidationError):
        await api.edit_image(image_id, title=SURROGATE)
