"""Tests for SearchQuery, run against a real library of the sample photos."""

import shutil
from pathlib import Path

import pytest

from picpocket_gui.search import SearchQuery, split_terms

# The five photos that the ordering tests sort. Their EXIF dates all differ.
ORDERED = (
    "jpg/Canon_40D.jpg",  # taken 2008-05-30
    "jpg/Kodak_CX7530.jpg",  # taken 2005-08-13
    "jpg/Nikon_D70.jpg",  # taken 2008-03-15
    "jpg/Pentax_K10D.jpg",  # taken 2008-05-04
    "jpg/gps/DSCN0010.jpg",  # taken 2008-10-22
)


async def ids_by_path(api) -> dict[str, int]:
    return {image.path.as_posix(): image.id for image in await api.search_images()}


async def search(api, query: SearchQuery) -> list[int]:
    return await api.get_image_ids(**query.engine_arguments())


@pytest.fixture
async def paths(library) -> dict[str, int]:
    """Return image ids by path, after adding metadata, tags and ratings to a few."""
    ids = await ids_by_path(library)
    await library.edit_image(ids["jpg/Canon_40D.jpg"], title="Heron at dawn", rating=5)
    await library.edit_image(
        ids["jpg/Nikon_D70.jpg"], caption="A kingfisher dives", rating=3
    )
    await library.edit_image(
        ids["jpg/Pentax_K10D.jpg"], alt="Osprey over water", rating=1
    )
    await library.tag_images([ids["jpg/Canon_40D.jpg"]], "bird/heron")
    await library.tag_images([ids["jpg/Nikon_D70.jpg"]], "bird/kingfisher")
    await library.tag_images(
        [ids["jpg/Nikon_D70.jpg"], ids["jpg/Pentax_K10D.jpg"]], "water"
    )
    await library.tag_images([ids[path] for path in ORDERED], "ordered")
    return ids


def test_split_terms_quotes():
    assert split_terms('heron "at dawn"  x') == ["heron", "at dawn", "x"]


def test_split_terms_unmatched_quote():
    assert split_terms('"heron') == ['"heron']


def test_query_rejects_unknown_order():
    with pytest.raises(ValueError, match="date"):
        SearchQuery(order="date")


def test_empty_query_arguments():
    assert SearchQuery().engine_arguments() == {"order": ("-creation_date!",)}


def test_unordered_arguments_lack_order():
    assert "order" not in SearchQuery(text="x").engine_arguments(ordered=False)


async def test_empty_query_finds_all(library):
    everything = await library.get_image_ids()
    assert sorted(await search(library, SearchQuery())) == sorted(everything)


async def test_text_per_field(library, paths):
    cases = {
        "HERON": ["jpg/Canon_40D.jpg"],  # title, in other letter case
        "kingfisher": ["jpg/Nikon_D70.jpg"],  # caption
        "osprey": ["jpg/Pentax_K10D.jpg"],  # alt text
        "cornillon": ["tiff/Crémieux11.tiff"],  # creator from EXIF Artist
        "exif-org/sony": [  # path
            "jpg/exif-org/sony-cybershot.jpg",
            "jpg/exif-org/sony-d700.jpg",
            "jpg/exif-org/sony-powershota5.jpg",
        ],
    }
    for text, expected in cases.items():
        found = await search(library, SearchQuery(text=text))
        assert sorted(found) == sorted(paths[path] for path in expected), text


async def test_text_terms_all_match(library, paths):
    found = await search(library, SearchQuery(text="dawn heron"))
    assert found == [paths["jpg/Canon_40D.jpg"]]


async def test_text_terms_in_different_images(library, paths):
    assert await search(library, SearchQuery(text="heron osprey")) == []


async def test_text_quoted_phrase(library, paths):
    assert await search(library, SearchQuery(text='"dawn at"')) == []


async def test_text_percent_is_literal(library, paths):
    assert await search(library, SearchQuery(text="%")) == []


async def test_tags_all(library, paths):
    found = await search(library, SearchQuery(all_tags=("bird", "water")))
    assert found == [paths["jpg/Nikon_D70.jpg"]]


async def test_tags_any(library, paths):
    found = await search(library, SearchQuery(any_tags=("bird/heron", "water")))
    expected = ["jpg/Canon_40D.jpg", "jpg/Nikon_D70.jpg", "jpg/Pentax_K10D.jpg"]
    assert sorted(found) == sorted(paths[path] for path in expected)


async def test_tags_excluded(library, paths):
    found = await search(library, SearchQuery(no_tags=("bird",)))
    birds = {paths["jpg/Canon_40D.jpg"], paths["jpg/Nikon_D70.jpg"]}
    assert sorted(found) == sorted(set(paths.values()) - birds)


async def test_rating_minimum(library, paths):
    found = await search(library, SearchQuery(rating_min=3))
    expected = [paths["jpg/Canon_40D.jpg"], paths["jpg/Nikon_D70.jpg"]]
    assert sorted(found) == sorted(expected)


async def test_location(library, paths, tmp_path: Path, photo_source: Path):
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy2(photo_source / "jpg" / "Canon_40D.jpg", extra / "copy.jpg")
    location = await library.add_location("extra", extra, source=True)
    imported = await library.import_location("extra")
    assert await search(library, SearchQuery(location=location)) == imported


async def test_reachable_only(library, paths, tmp_path: Path, photo_source: Path):
    card = tmp_path / "card"
    card.mkdir()
    shutil.copy2(photo_source / "jpg" / "Nikon_D70.jpg", card / "card.jpg")
    await library.add_location("card", card, source=True, removable=True)
    await library.import_location("card")
    card.rename(tmp_path / "card-unplugged")
    found = await search(library, SearchQuery(reachable_only=True))
    assert sorted(found) == sorted(paths.values())


async def test_orders(library, paths):
    canon, kodak, nikon, pentax, dscn = (paths[path] for path in ORDERED)
    unrated = sorted([kodak, dscn])  # ties on a missing rating go by id
    cases = [
        (("creation_date", True, True), [dscn, canon, pentax, nikon, kodak]),
        (("creation_date", False, True), [kodak, nikon, pentax, canon, dscn]),
        (("rating", True, True), [canon, nikon, pentax, *unrated]),
        (("rating", True, False), [*unrated, canon, nikon, pentax]),
        (("rating", False, True), [pentax, nikon, canon, *unrated]),
        (("rating", False, False), [*unrated, pentax, nikon, canon]),
        (("name", False, True), [canon, dscn, kodak, nikon, pentax]),
        (("name", True, True), [pentax, nikon, kodak, dscn, canon]),
        (("path", False, True), [canon, kodak, nikon, pentax, dscn]),
        (("path", True, True), [dscn, pentax, nikon, kodak, canon]),
    ]
    for (order, descending, unrated_last), expected in cases:
        query = SearchQuery(
            all_tags=("ordered",),
            order=order,
            descending=descending,
            unrated_last=unrated_last,
        )
        found = await search(library, query)
        assert found == expected, (order, descending, unrated_last)


async def test_order_random_shuffles(library, paths):
    query = SearchQuery(all_tags=("ordered",), order="random")
    orders = {tuple(await search(library, query)) for _ in range(20)}
    assert len(orders) > 1


async def test_order_random_keeps_images(library, paths):
    query = SearchQuery(all_tags=("ordered",), order="random")
    found = await search(library, query)
    assert sorted(found) == sorted(paths[path] for path in ORDERED)


async def test_count_matches_ids(library, paths):
    query = SearchQuery(text="jpg", no_tags=("bird",), rating_min=1)
    count = await library.count_images(**query.engine_arguments(ordered=False))
    assert count == len(await search(library, query))


async def test_combined_criteria(library, paths):
    query = SearchQuery(text="jpg", any_tags=("water",), rating_min=2)
    assert await search(library, query) == [paths["jpg/Nikon_D70.jpg"]]
