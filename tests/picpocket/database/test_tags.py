"""Tests for nested tags: tagging images, describing, moving and removing tags."""

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import picpocket
from picpocket.database.types import Tag
from picpocket.errors import InputValidationError, UnknownItemError

# The last one contains NUL, which PostgreSQL cannot store in text.
INVALID_TAGS = ["", "/", "//", "a//b", "/a//b/", "a\x00b"]


@pytest.fixture
async def ids(api, tmp_path, jpegs) -> list[int]:
    """Add a location with three images and return their ids."""
    root = tmp_path / "main"
    root.mkdir()
    await api.add_location("main", root, destination=True, removable=False)
    names = ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg")
    return [
        await api.add_image_copy(jpegs / name, "main", Path(name)) for name in names
    ]


async def tags_of(api, image_id: int) -> list[str]:
    image = await api.get_image(image_id, tags=True)
    return image.tags


# tag_image and untag_image --------------------------------------------


async def test_tag_image(api, ids):
    await api.tag_image(ids[0], "bird")
    assert await tags_of(api, ids[0]) == ["bird"]


async def test_tag_image_other_images(api, ids):
    await api.tag_image(ids[0], "bird")
    assert await tags_of(api, ids[1]) == []


async def test_tag_image_twice(api, ids):
    await api.tag_image(ids[0], "bird")
    await api.tag_image(ids[0], "bird")
    assert await tags_of(api, ids[0]) == ["bird"]


async def test_tag_image_several(api, ids):
    for tag in ("sky", "bird/goose", "Autumn"):
        await api.tag_image(ids[0], tag)
    assert await tags_of(api, ids[0]) == ["Autumn", "bird/goose", "sky"]


@pytest.mark.parametrize("tag", ["/bird/goose", "bird/goose/", "//bird/goose//"])
async def test_tag_image_slashes(api, ids, tag):
    await api.tag_image(ids[0], tag)
    assert await tags_of(api, ids[0]) == ["bird/goose"]


async def test_tag_image_slashes_one_tag(api, ids):
    await api.tag_image(ids[0], "/bird/")
    await api.tag_image(ids[1], "bird")
    assert await api.all_tag_names() == {"bird"}


@pytest.mark.parametrize("tag", INVALID_TAGS)
async def test_tag_image_invalid(api, ids, tag):
    with pytest.raises(InputValidationError):
        await api.tag_image(ids[0], tag)
    assert await api.all_tag_names() == set()


@pytest.mark.parametrize("tag", [None, 5, ["bird"]])
async def test_tag_image_not_text(api, ids, tag):
    with pytest.raises(InputValidationError):
        await api.tag_image(ids[0], tag)


async def test_tag_image_spaces_kept(api, ids):
    await api.tag_image(ids[0], "bird/Canada Goose")
    assert await tags_of(api, ids[0]) == ["bird/Canada Goose"]


async def test_tag_image_unicode(api, ids):
    await api.tag_image(ids[0], "Crémieux/été")
    assert await tags_of(api, ids[0]) == ["Crémieux/été"]


async def test_tag_image_case_sensitive(api, ids):
    await api.tag_image(ids[0], "Bird")
    await api.tag_image(ids[0], "bird")
    assert await tags_of(api, ids[0]) == ["Bird", "bird"]


async def test_tag_names_case_sensitive(api, ids):
    await api.tag_image(ids[0], "Bird")
    await api.tag_image(ids[1], "bird")
    assert await api.all_tag_names() == {"Bird", "bird"}


async def test_untag_case_sensitive(api, ids):
    await api.tag_image(ids[0], "Bird")
    await api.tag_image(ids[0], "bird")
    await api.untag_image(ids[0], "bird")
    assert await tags_of(api, ids[0]) == ["Bird"]


async def test_tag_child_not_parent(api, ids):
    await api.tag_image(ids[0], "bird/goose/Canada Goose")
    assert await tags_of(api, ids[0]) == ["bird/goose/Canada Goose"]


async def test_tag_child_names(api, ids):
    await api.tag_image(ids[0], "bird/goose/Canada Goose")
    assert await api.all_tag_names() == {"bird/goose/Canada Goose"}


async def test_tag_image_unknown_id(api, ids):
    with pytest.raises(UnknownItemError):
        await api.tag_image(max(ids) + 1000, "bird")


async def test_tag_image_unknown_id_no_tag(api, ids):
    with pytest.raises(UnknownItemError):
        await api.tag_image(max(ids) + 1000, "bird")
    assert await api.all_tag_names() == set()


async def test_untag_image(api, ids):
    await api.tag_image(ids[0], "bird")
    await api.tag_image(ids[0], "sky")
    await api.untag_image(ids[0], "bird")
    assert await tags_of(api, ids[0]) == ["sky"]


async def test_untag_image_others_kept(api, ids):
    await api.tag_image(ids[0], "bird")
    await api.tag_image(ids[1], "bird")
    await api.untag_image(ids[0], "bird")
    assert await tags_of(api, ids[1]) == ["bird"]


async def test_untag_image_tag_kept(api, ids):
    await api.tag_image(ids[0], "bird")
    await api.untag_image(ids[0], "bird")
    assert await api.all_tag_names() == {"bird"}


async def test_untag_image_slashes(api, ids):
    await api.tag_image(ids[0], "bird/goose")
    await api.untag_image(ids[0], "/bird/goose/")
    assert await tags_of(api, ids[0]) == []


async def test_untag_absent_from_image(api, ids):
    await api.tag_image(ids[1], "bird")
    await api.untag_image(ids[0], "bird")
    assert await tags_of(api, ids[0]) == []


async def test_untag_unknown_tag(api, ids):
    await api.tag_image(ids[0], "sky")
    await api.untag_image(ids[0], "never-used")
    assert await tags_of(api, ids[0]) == ["sky"]


async def test_untag_unknown_image(api, ids):
    await api.tag_image(ids[0], "sky")
    await api.untag_image(max(ids) + 1000, "sky")
    assert await tags_of(api, ids[0]) == ["sky"]


async def test_untag_parent_keeps_child(api, ids):
    await api.tag_image(ids[0], "bird/goose")
    await api.untag_image(ids[0], "bird")
    assert await tags_of(api, ids[0]) == ["bird/goose"]


@pytest.mark.parametrize("tag", INVALID_TAGS)
async def test_untag_invalid(api, ids, tag):
    with pytest.raises(InputValidationError):
        await api.untag_image(ids[0], tag)


# tag_images and untag_images ------------------------------------------


async def test_tag_images(api, ids):
    await api.tag_images(ids, "sky")
    assert [await tags_of(api, image_id) for image_id in ids] == [["sky"]] * 3


async def test_tag_images_subset(api, ids):
    await api.tag_images(ids[:2], "sky")
    assert await tags_of(api, ids[2]) == []


async def test_tag_images_duplicates(api, ids):
    await api.tag_images([ids[0], ids[0], ids[1]], "sky")
    assert await api.get_tag_set(*ids) == {"sky": 2}


async def test_tag_images_partly_tagged(api, ids):
    await api.tag_image(ids[0], "sky")
    await api.tag_images(ids, "sky")
    assert await api.get_tag_set(*ids) == {"sky": 3}


async def test_tag_images_generator(api, ids):
    await api.tag_images((image_id for image_id in ids), "sky")
    assert await api.get_tag_set(*ids) == {"sky": 3}


async def test_tag_images_unknown_id(api, ids):
    with pytest.raises(UnknownItemError):
        await api.tag_images([ids[0], max(ids) + 1000, ids[1]], "sky")
    assert await api.get_tag_set(*ids) == {}


async def test_tag_images_unknown_id_no_tag(api, ids):
    with pytest.raises(UnknownItemError):
        await api.tag_images([ids[0], max(ids) + 1000], "sky")
    assert await api.all_tag_names() == set()


async def test_tag_images_unknown_id_existing(api, ids):
    # A failed batch leaves earlier tagging of the same tag as it was.
    await api.tag_image(ids[2], "sky")
    with pytest.raises(UnknownItemError):
        await api.tag_images([ids[0], max(ids) + 1000], "sky")
    assert await api.get_tag_set(*ids) == {"sky": 1}


async def test_tag_images_unknown_id_last(api, ids):
    with pytest.raises(UnknownItemError):
        await api.tag_images([*ids, max(ids) + 1000], "sky")
    assert await api.get_tag_set(*ids) == {}


@pytest.mark.parametrize("tag", INVALID_TAGS)
async def test_tag_images_invalid(api, ids, tag):
    with pytest.raises(InputValidationError):
        await api.tag_images(ids, tag)


async def test_tag_images_slashes(api, ids):
    await api.tag_images(ids, "/sky/")
    assert await api.get_tag_set(*ids) == {"sky": 3}


async def test_untag_images(api, ids):
    await api.tag_images(ids, "sky")
    await api.untag_images(ids[:2], "sky")
    assert await api.get_tag_set(*ids) == {"sky": 1}


async def test_untag_images_partly_tagged(api, ids):
    await api.tag_image(ids[0], "sky")
    await api.untag_images(ids, "sky")
    assert await api.get_tag_set(*ids) == {}


async def test_untag_images_unknown_ids(api, ids):
    await api.tag_images(ids, "sky")
    await api.untag_images([ids[0], max(ids) + 1000], "sky")
    assert await api.get_tag_set(*ids) == {"sky": 2}


async def test_untag_images_empty(api, ids):
    await api.tag_images(ids, "sky")
    await api.untag_images([], "sky")
    assert await api.get_tag_set(*ids) == {"sky": 3}


# add_tag and get_tag --------------------------------------------------


async def test_add_tag_without_description(api):
    await api.add_tag("bird")
    tag = await api.get_tag("bird")
    assert tag.description is None


async def test_add_tag_id(api):
    await api.add_tag("bird")
    tag = await api.get_tag("bird")
    assert isinstance(tag.id, int)


async def test_add_tag_description(api):
    await api.add_tag("bird", "Anything with feathers")
    tag = await api.get_tag("bird")
    assert tag.description == "Anything with feathers"


async def test_add_tag_not_supplied_keeps(api):
    await api.add_tag("bird", "Anything with feathers")
    await api.add_tag("bird")
    tag = await api.get_tag("bird")
    assert tag.description == "Anything with feathers"


async def test_add_tag_none_erases(api):
    await api.add_tag("bird", "Anything with feathers")
    await api.add_tag("bird", None)
    tag = await api.get_tag("bird")
    assert tag.description is None


async def test_add_tag_replaces(api):
    await api.add_tag("bird", "Anything with feathers")
    await api.add_tag("bird", "Birds")
    tag = await api.get_tag("bird")
    assert tag.description == "Birds"


async def test_add_tag_existing_same_id(api, ids):
    await api.tag_image(ids[0], "bird")
    before = await api.get_tag("bird")
    await api.add_tag("bird", "Birds")
    after = await api.get_tag("bird")
    assert after.id == before.id


async def test_add_tag_existing_keeps_images(api, ids):
    await api.tag_image(ids[0], "bird")
    await api.add_tag("bird", "Birds")
    assert await tags_of(api, ids[0]) == ["bird"]


async def test_add_tag_slashes(api):
    await api.add_tag("/bird/goose/", "Geese")
    assert await api.all_tag_names() == {"bird/goose"}


async def test_add_tag_parent_not_added(api):
    await api.add_tag("bird/goose")
    tag = await api.get_tag("bird")
    assert tag.id is None


@pytest.mark.parametrize("tag", INVALID_TAGS)
async def test_add_tag_invalid(api, tag):
    with pytest.raises(InputValidationError):
        await api.add_tag(tag, "description")


@pytest.mark.parametrize("description", [5, ["a"], b"bytes", "a\x00b"])
async def test_add_tag_bad_description(api, description):
    with pytest.raises(InputValidationError):
        await api.add_tag("bird", description)
    assert await api.all_tag_names() == set()


async def test_get_tag_default_no_children(api):
    await api.add_tag("bird/goose")
    tag = await api.get_tag("bird/goose")
    assert tag.children is None


async def test_get_tag_whole(api):
    await api.add_tag("bird", "Birds")
    tag = await api.get_tag("bird")
    assert tag == Tag(name="bird", id=tag.id, description="Birds", children=None)


async def test_get_tag_unknown(api):
    assert await api.get_tag("never-used") == Tag(name="never-used")


async def test_get_tag_unknown_children(api):
    tag = await api.get_tag("never-used", children=True)
    assert tag.children == set()


async def test_get_tag_slashes(api):
    await api.add_tag("bird/goose", "Geese")
    tag = await api.get_tag("/bird/goose/")
    assert (tag.name, tag.description) == ("bird/goose", "Geese")


async def test_get_tag_children(api):
    for name in ("a", "a/b", "a/c", "a/c/d", "a/b/e/f"):
        await api.add_tag(name)
    tag = await api.get_tag("a", children=True)
    assert tag.children == {"a/b", "a/c"}


async def test_get_tag_children_implied(api):
    await api.add_tag("a/x/y")
    await api.add_tag("a/z")
    tag = await api.get_tag("a", children=True)
    assert tag.children == {"a/x", "a/z"}


async def test_get_tag_children_siblings_excluded(api):
    # Names that share the prefix "a" but are not below "a/".
    for name in ("a", "ab", "a b", "a-b", "a.b", "a0", "a/b", "b/a"):
        await api.add_tag(name)
    tag = await api.get_tag("a", children=True)
    assert tag.children == {"a/b"}


async def test_get_tag_children_leaf(api):
    await api.add_tag("a/b")
    tag = await api.get_tag("a/b", children=True)
    assert tag.children == set()


async def test_get_tag_implied_parent(api):
    await api.add_tag("a/b")
    tag = await api.get_tag("a", children=True)
    assert tag == Tag(name="a", id=None, description=None, children={"a/b"})


async def test_get_tag_children_from_images(api, ids):
    await api.tag_image(ids[0], "bird/goose")
    tag = await api.get_tag("bird", children=True)
    assert tag.children == {"bird/goose"}


async def test_get_tag_case(api):
    await api.add_tag("Bird", "Upper")
    await api.add_tag("bird", "Lower")
    tag = await api.get_tag("bird")
    assert tag.description == "Lower"


@pytest.mark.parametrize("tag", INVALID_TAGS)
async def test_get_tag_invalid(api, tag):
    with pytest.raises(InputValidationError):
        await api.get_tag(tag)


# all_tag_names and all_tags -------------------------------------------


async def test_all_tag_names_empty(api):
    assert await api.all_tag_names() == set()


async def test_all_tag_names(api, ids):
    await api.tag_image(ids[0], "bird/goose")
    await api.add_tag("sky")
    assert await api.all_tag_names() == {"bird/goose", "sky"}


async def test_all_tags_empty(api):
    assert await api.all_tags() == {}


async def test_all_tags(api, ids):
    await api.add_tag("bird", "Birds")
    await api.tag_image(ids[0], "bird/goose/Canada Goose")
    await api.add_tag("bird/duck", "Ducks")
    await api.add_tag("sky")
    assert await api.all_tags() == {
        "bird": {
            "description": "Birds",
            "children": {
                "goose": {
                    "description": None,
                    "children": {
                        "Canada Goose": {"description": None, "children": {}},
                    },
                },
                "duck": {"description": "Ducks", "children": {}},
            },
        },
        "sky": {"description": None, "children": {}},
    }


async def test_all_tags_implied_root(api):
    await api.add_tag("a/b", "B")
    assert await api.all_tags() == {
        "a": {
            "description": None,
            "children": {"b": {"description": "B", "children": {}}},
        }
    }


async def test_all_tags_case(api):
    await api.add_tag("Bird", "Upper")
    await api.add_tag("bird", "Lower")
    tree = await api.all_tags()
    assert {name: node["description"] for name, node in tree.items()} == {
        "Bird": "Upper",
        "bird": "Lower",
    }


# get_tag_set ----------------------------------------------------------


@pytest.fixture
async def tagged(api, ids) -> list[int]:
    """Tag the three images: sky on all, bird/goose on two, tree on one."""
    await api.tag_images(ids, "sky")
    await api.tag_images(ids[:2], "bird/goose")
    await api.tag_image(ids[2], "tree")
    return ids


async def test_tag_set(api, tagged):
    assert await api.get_tag_set(*tagged) == {"sky": 3, "bird/goose": 2, "tree": 1}


async def test_tag_set_minimum(api, tagged):
    assert await api.get_tag_set(*tagged, minimum=2) == {"sky": 3, "bird/goose": 2}


async def test_tag_set_minimum_all(api, tagged):
    assert await api.get_tag_set(*tagged, minimum=3) == {"sky": 3}


async def test_tag_set_minimum_above(api, tagged):
    assert await api.get_tag_set(*tagged, minimum=4) == {}


async def test_tag_set_one_image(api, tagged):
    assert await api.get_tag_set(tagged[0]) == {"sky": 1, "bird/goose": 1}


async def test_tag_set_no_images(api, tagged):
    assert await api.get_tag_set() == {}


async def test_tag_set_unknown_image(api, tagged):
    assert await api.get_tag_set(max(tagged) + 1000) == {}


async def test_tag_set_duplicate_ids(api, tagged):
    assert await api.get_tag_set(tagged[0], tagged[0]) == {"sky": 1, "bird/goose": 1}


async def test_tag_set_untagged_image(api, ids):
    await api.tag_image(ids[0], "sky")
    assert await api.get_tag_set(ids[1]) == {}


# move_tag -------------------------------------------------------------


async def test_move_rename(api, ids):
    await api.tag_image(ids[0], "a")
    await api.move_tag("a", "b")
    assert await tags_of(api, ids[0]) == ["b"]


async def test_move_rename_names(api, ids):
    await api.tag_image(ids[0], "a")
    await api.move_tag("a", "b")
    assert await api.all_tag_names() == {"b"}


async def test_move_rename_count(api, ids):
    await api.tag_image(ids[0], "a")
    assert await api.move_tag("a", "b") == 1


async def test_move_rename_description(api):
    await api.add_tag("a", "A")
    await api.move_tag("a", "b")
    tag = await api.get_tag("b")
    assert tag.description == "A"


async def test_move_rename_id(api):
    await api.add_tag("a", "A")
    before = await api.get_tag("a")
    await api.move_tag("a", "b")
    after = await api.get_tag("b")
    assert after.id == before.id


async def test_move_rename_slashes(api):
    await api.add_tag("a")
    await api.move_tag("/a/", "/b/c/")
    assert await api.all_tag_names() == {"b/c"}


@pytest.fixture
async def tree(api, ids) -> list[int]:
    """Tag image 0 with a, image 1 with a/b, image 2 with a/b/c; a has a description."""
    await api.add_tag("a", "A")
    for image_id, tag in zip(ids, ("a", "a/b", "a/b/c")):
        await api.tag_image(image_id, tag)
    return ids


async def test_move_cascade_names(api, tree):
    await api.move_tag("a", "x")
    assert await api.all_tag_names() == {"x", "x/b", "x/b/c"}


async def test_move_cascade_images(api, tree):
    await api.move_tag("a", "x")
    assert [await tags_of(api, image_id) for image_id in tree] == [
        ["x"],
        ["x/b"],
        ["x/b/c"],
    ]


async def test_move_cascade_count(api, tree):
    assert await api.move_tag("a", "x") == 3


async def test_move_cascade_default(api, tree):
    await api.move_tag("a", "x")
    assert await api.all_tag_names() == {"x", "x/b", "x/b/c"}


async def test_move_no_cascade_names(api, tree):
    await api.move_tag("a", "x", cascade=False)
    assert await api.all_tag_names() == {"x", "a/b", "a/b/c"}


async def test_move_no_cascade_images(api, tree):
    await api.move_tag("a", "x", cascade=False)
    assert [await tags_of(api, image_id) for image_id in tree] == [
        ["x"],
        ["a/b"],
        ["a/b/c"],
    ]


async def test_move_no_cascade_count(api, tree):
    assert await api.move_tag("a", "x", cascade=False) == 1


async def test_move_middle(api, tree):
    await api.move_tag("a/b", "y")
    assert await api.all_tag_names() == {"a", "y", "y/c"}


async def test_move_middle_no_cascade(api, tree):
    await api.move_tag("a/b", "y", cascade=False)
    assert await api.all_tag_names() == {"a", "y", "a/b/c"}


async def test_move_deeper(api, tree):
    await api.move_tag("a", "top/a")
    assert await api.all_tag_names() == {"top/a", "top/a/b", "top/a/b/c"}


async def test_move_deeper_description(api, tree):
    await api.move_tag("a", "top/a")
    tag = await api.get_tag("top/a")
    assert tag.description == "A"


async def test_move_into_descendant_names(api, tree):
    await api.move_tag("a", "a/b")
    assert await api.all_tag_names() == {"a/b", "a/b/b", "a/b/b/c"}


async def test_move_into_descendant_images(api, tree):
    await api.move_tag("a", "a/b")
    assert [await tags_of(api, image_id) for image_id in tree] == [
        ["a/b"],
        ["a/b/b"],
        ["a/b/b/c"],
    ]


async def test_move_into_descendant_count(api, tree):
    assert await api.move_tag("a", "a/b") == 3


async def test_move_into_descendant_no_cascade(api, tree):
    await api.move_tag("a", "a/b", cascade=False)
    assert [await tags_of(api, image_id) for image_id in tree] == [
        ["a/b"],
        ["a/b"],
        ["a/b/c"],
    ]


async def test_move_into_ancestor(api, tree):
    await api.move_tag("a/b", "a")
    assert [await tags_of(api, image_id) for image_id in tree] == [
        ["a"],
        ["a"],
        ["a/c"],
    ]


async def test_move_into_ancestor_names(api, tree):
    await api.move_tag("a/b", "a")
    assert await api.all_tag_names() == {"a", "a/c"}


async def test_move_into_ancestor_description(api, tree):
    await api.add_tag("a/b", "B")
    await api.move_tag("a/b", "a")
    tag = await api.get_tag("a")
    assert tag.description == "A"


async def test_move_siblings_untouched(api, ids):
    for tag in ("a", "ab", "a-b", "a b"):
        await api.tag_image(ids[0], tag)
    await api.move_tag("a", "x")
    assert await tags_of(api, ids[0]) == ["a b", "a-b", "ab", "x"]


async def test_move_implied_parent(api, ids):
    await api.tag_image(ids[0], "a/b")
    await api.tag_image(ids[1], "a/c/d")
    await api.move_tag("a", "x")
    assert await api.all_tag_names() == {"x/b", "x/c/d"}


async def test_move_implied_parent_count(api, ids):
    await api.tag_image(ids[0], "a/b")
    await api.tag_image(ids[1], "a/c/d")
    assert await api.move_tag("a", "x") == 2


async def test_move_implied_parent_no_cascade(api, ids):
    await api.tag_image(ids[0], "a/b")
    assert await api.move_tag("a", "x", cascade=False) == 0


async def test_move_unknown(api, ids):
    await api.tag_image(ids[0], "a")
    assert await api.move_tag("never-used", "x") == 0


async def test_move_unknown_names(api, ids):
    await api.tag_image(ids[0], "a")
    await api.move_tag("never-used", "x")
    assert await api.all_tag_names() == {"a"}


async def test_move_same_name(api, tree):
    assert await api.move_tag("a", "/a/") == 0


async def test_move_same_name_names(api, tree):
    await api.move_tag("a", "a")
    assert await api.all_tag_names() == {"a", "a/b", "a/b/c"}


@pytest.mark.parametrize("new", INVALID_TAGS)
async def test_move_invalid_new(api, tree, new):
    with pytest.raises(InputValidationError):
        await api.move_tag("a", new)
    assert await api.all_tag_names() == {"a", "a/b", "a/b/c"}


@pytest.mark.parametrize("current", INVALID_TAGS)
async def test_move_invalid_current(api, tree, current):
    with pytest.raises(InputValidationError):
        await api.move_tag(current, "x")


async def test_move_wildcard_characters(api, ids):
    # LIKE wildcards in a name match only themselves.
    for tag in ("a_", "ab", "a_/x", "a%", "a%/y"):
        await api.tag_image(ids[0], tag)
    await api.move_tag("a_", "z")
    assert await tags_of(api, ids[0]) == ["a%", "a%/y", "ab", "z", "z/x"]


async def test_remove_wildcard_characters(api, ids):
    for tag in ("a%", "ab", "a%/x", "abc/x"):
        await api.add_tag(tag)
    await api.remove_tag("a%", cascade=True)
    assert await api.all_tag_names() == {"ab", "abc/x"}


async def test_move_case(api, ids):
    await api.tag_image(ids[0], "bird")
    await api.move_tag("bird", "Bird")
    assert await tags_of(api, ids[0]) == ["Bird"]


@pytest.fixture
async def collision(api, ids) -> list[int]:
    """Make tags a and b with descriptions: image 0 has a, 1 has b, 2 has both."""
    await api.add_tag("a", "A")
    await api.add_tag("b", "B")
    await api.tag_images([ids[0], ids[2]], "a")
    await api.tag_images([ids[1], ids[2]], "b")
    return ids


async def test_merge_description(api, collision):
    await api.move_tag("a", "b")
    tag = await api.get_tag("b")
    assert tag.description == "B"


async def test_merge_images(api, collision):
    await api.move_tag("a", "b")
    assert [await tags_of(api, image_id) for image_id in collision] == [["b"]] * 3


async def test_merge_names(api, collision):
    await api.move_tag("a", "b")
    assert await api.all_tag_names() == {"b"}


async def test_merge_count(api, collision):
    assert await api.move_tag("a", "b") == 1


async def test_merge_target_id(api, collision):
    before = await api.get_tag("b")
    await api.move_tag("a", "b")
    after = await api.get_tag("b")
    assert after.id == before.id


async def test_merge_target_without_description(api, ids):
    # The target has no description to keep, so the moved one is not lost.
    await api.add_tag("a", "A")
    await api.tag_image(ids[0], "b")
    await api.move_tag("a", "b")
    tag = await api.get_tag("b")
    assert tag.description == "A"


async def test_merge_cascade(api, ids):
    await api.add_tag("a/x", "from a")
    await api.add_tag("b/x", "from b")
    await api.tag_image(ids[0], "a/x")
    await api.tag_image(ids[1], "b/x")
    await api.move_tag("a", "b")
    assert [await tags_of(api, image_id) for image_id in ids[:2]] == [["b/x"], ["b/x"]]


async def test_merge_cascade_description(api, ids):
    await api.add_tag("a/x", "from a")
    await api.add_tag("b/x", "from b")
    await api.move_tag("a", "b")
    tag = await api.get_tag("b/x")
    assert tag.description == "from b"


async def test_merge_cascade_count(api, ids):
    for name in ("a", "a/x", "a/y", "b/x"):
        await api.add_tag(name)
    assert await api.move_tag("a", "b") == 3


async def test_merge_cascade_names(api, ids):
    for name in ("a", "a/x", "a/y", "b/x", "b/z"):
        await api.add_tag(name)
    await api.move_tag("a", "b")
    assert await api.all_tag_names() == {"b", "b/x", "b/y", "b/z"}


async def test_move_search_follows(api, tree):
    await api.move_tag("a", "x")
    assert await api.count_images(any_tags=["x"]) == 3


# remove_tag -----------------------------------------------------------


async def test_remove_tag_names(api, tree):
    await api.remove_tag("a/b/c")
    assert await api.all_tag_names() == {"a", "a/b"}


async def test_remove_tag_untags(api, tree):
    await api.remove_tag("a/b/c")
    assert await tags_of(api, tree[2]) == []


async def test_remove_tag_keeps_children(api, tree):
    await api.remove_tag("a")
    assert await api.all_tag_names() == {"a/b", "a/b/c"}


async def test_remove_tag_keeps_child_images(api, tree):
    await api.remove_tag("a")
    assert [await tags_of(api, image_id) for image_id in tree] == [
        [],
        ["a/b"],
        ["a/b/c"],
    ]


async def test_remove_tag_description(api, tree):
    await api.remove_tag("a")
    tag = await api.get_tag("a")
    assert (tag.id, tag.description) == (None, None)


async def test_remove_tag_cascade_names(api, tree):
    await api.add_tag("ab")
    await api.remove_tag("a", cascade=True)
    assert await api.all_tag_names() == {"ab"}


async def test_remove_tag_cascade_images(api, tree):
    await api.remove_tag("a", cascade=True)
    assert [await tags_of(api, image_id) for image_id in tree] == [[], [], []]


async def test_remove_tag_cascade_middle(api, tree):
    await api.remove_tag("a/b", cascade=True)
    assert await api.all_tag_names() == {"a"}


async def test_remove_tag_cascade_implied(api, ids):
    await api.tag_image(ids[0], "a/b")
    await api.tag_image(ids[0], "sky")
    await api.remove_tag("a", cascade=True)
    assert await tags_of(api, ids[0]) == ["sky"]


async def test_remove_tag_keeps_images(api, tree):
    await api.remove_tag("a", cascade=True)
    assert await api.count_images() == 3


async def test_remove_tag_unknown(api, tree):
    await api.remove_tag("never-used", cascade=True)
    assert await api.all_tag_names() == {"a", "a/b", "a/b/c"}


async def test_remove_tag_slashes(api, tree):
    await api.remove_tag("/a/b/c/")
    assert await api.all_tag_names() == {"a", "a/b"}


async def test_remove_tag_then_reuse(api, tree):
    await api.remove_tag("a")
    await api.tag_image(tree[1], "a")
    assert await tags_of(api, tree[1]) == ["a", "a/b"]


@pytest.mark.parametrize("tag", INVALID_TAGS)
async def test_remove_tag_invalid(api, tree, tag):
    with pytest.raises(InputValidationError):
        await api.remove_tag(tag, cascade=True)
    assert await api.all_tag_names() == {"a", "a/b", "a/b/c"}


# Property: moving tags renames them and never drops them ---------------

# "ab" shares a prefix with "a" without being below it, and "A" differs
# from "a" only by case.
LEVEL = st.sampled_from(["a", "b", "ab", "A"])
TAG_NAME = st.lists(LEVEL, min_size=1, max_size=3).map("/".join)
MOVE = st.tuples(TAG_NAME, TAG_NAME, st.booleans())


def rename(name: str, current: str, new: str, cascade: bool) -> str:
    """Return the name a tag has after move_tag(current, new, cascade)."""
    if name == current:
        return new
    if cascade and name.startswith(current + "/"):
        return new + name[len(current) :]
    return name


async def run_moves(
    photo: Path,
    image_tags: list[set[str]],
    moves: list[tuple[str, str, bool]],
) -> tuple[list[list[str]], set[str], list[int]]:
    """Tag fresh images, apply the moves, and return tags, names and counts."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "main"
        root.mkdir()
        api = await picpocket.initialize(Path(directory) / "library", "sqlite")
        try:
            await api.add_location("main", root, destination=True, removable=False)
            ids = []
            for number, tags in enumerate(image_tags):
                destination = Path(f"{number}.jpg")
                new_id = await api.add_image_copy(
                    photo, "main", destination, tags=sorted(tags)
                )
                ids.append(new_id)
            counts = [await api.move_tag(*move) for move in moves]
            tags_after = [await tags_of(api, image_id) for image_id in ids]
            names = await api.all_tag_names()
        finally:
            await api.close()
    return tags_after, names, counts


def expected_after_moves(
    image_tags: list[set[str]], moves: list[tuple[str, str, bool]]
) -> tuple[list[list[str]], set[str], list[int]]:
    """Model move_tag on plain sets: the tags per image, all names and counts."""
    names = set().union(*image_tags)
    tags = [set(image) for image in image_tags]
    counts = []
    for current, new, cascade in moves:
        if current == new:
            counts.append(0)
            continue
        moved = {name for name in names if rename(name, current, new, cascade) != name}
        counts.append(len(moved))
        names = {rename(name, current, new, cascade) for name in names}
        tags = [
            {rename(name, current, new, cascade) for name in image} for image in tags
        ]
    return [sorted(image) for image in tags], names, counts


@settings(max_examples=25, deadline=None)
@given(
    image_tags=st.lists(st.sets(TAG_NAME, max_size=4), min_size=1, max_size=3),
    moves=st.lists(MOVE, min_size=1, max_size=4),
)
def test_moves_keep_tags(photo_source, image_tags, moves):
    photo = photo_source / "jpg" / "Canon_40D.jpg"
    tags_after, names, counts = asyncio.run(run_moves(photo, image_tags, moves))
    expected = expected_after_moves(image_tags, moves)
    expected_tags, expected_names, expected_counts = expected
    still_tagged = [bool(after) for after in tags_after]
    assert still_tagged == [bool(before) for before in image_tags]
    assert tags_after == expected_tags
    assert names == expected_names
    assert counts == expected_counts


# tag_counts -------------------------------------------------------------


async def test_tag_counts_descendants(api, ids):
    await api.tag_image(ids[0], "bird/goose")
    await api.tag_image(ids[1], "bird/duck")
    counts = await api.tag_counts()
    assert counts["bird"] == 2


async def test_tag_counts_implied_parent_listed(api, ids):
    await api.tag_image(ids[0], "bird/goose/Canada Goose")
    counts = await api.tag_counts()
    assert counts["bird/goose"] == 1


async def test_tag_counts_image_once(api, ids):
    await api.tag_image(ids[0], "bird")
    await api.tag_image(ids[0], "bird/goose")
    counts = await api.tag_counts()
    assert counts["bird"] == 1


async def test_tag_counts_sibling_prefix_apart(api, ids):
    await api.tag_image(ids[0], "bird")
    await api.tag_image(ids[1], "bird-watching")
    counts = await api.tag_counts()
    assert counts["bird"] == 1


async def test_tag_counts_unused_tag(api, ids):
    await api.add_tag("empty", "no images yet")
    counts = await api.tag_counts()
    assert counts["empty"] == 0


# get_images -------------------------------------------------------------


async def test_get_images_order(api, ids):
    images = await api.get_images([ids[2], ids[0]])
    assert [image.id for image in images] == [ids[2], ids[0]]


async def test_get_images_unknown_skipped(api, ids):
    images = await api.get_images([ids[1], 999_999])
    assert [image.id for image in images] == [ids[1]]


async def test_get_images_tags(api, ids):
    await api.tag_image(ids[1], "bird")
    images = await api.get_images([ids[1]], tags=True)
    assert images[0].tags == ["bird"]
