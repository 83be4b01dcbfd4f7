from picpocket.database.logic import Text


async def test_import_and_search(api, photos):
    await api.add_location("main", photos, source=True, destination=True, removable=False)
    ids = await api.import_location("main", tags=["imported"])
    assert len(ids) == 81
    await api.tag_image(ids[0], "bird/goose/Canada Goose")
    assert await api.count_images(any_tags=["bird"]) == 1
    assert await api.count_images(no_tags=["bird"]) == 80
    assert await api.count_images(Text("extension", "=", "jpg")) == 68
    newest = await api.search_images(order=("-creation_date",), limit=3)
    assert len(newest) == 3
    assert await api.import_location("main") == []
