"""Tests for the drag-and-drop payloads."""

from pathlib import Path

from PySide6.QtCore import QMimeData

from picpocket_gui.mime import IMAGE_IDS, image_ids, image_mime_data


def test_image_ids_round_trip(qapp):
    data = image_mime_data([3, 5], [Path("/a.jpg"), Path("/b.jpg")])
    assert image_ids(data) == [3, 5]


def test_image_mime_data_urls(qapp):
    data = image_mime_data([3], [Path("/photos/a b.jpg")])
    assert [url.toLocalFile() for url in data.urls()] == ["/photos/a b.jpg"]


def test_image_ids_garbage(qapp):
    data = QMimeData()
    data.setData(IMAGE_IDS, b"\xff not json")
    assert image_ids(data) == []


def test_image_ids_absent(qapp):
    assert image_ids(QMimeData()) == []
