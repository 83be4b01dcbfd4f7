"""Save a screenshot of the main window on the sample photos, for the README.

Usage: python packaging/screenshot.py [OUTPUT.png]

It copies the sample photos (../shared/photos beside the repository, or
PICPOCKET_PHOTOS) into a temporary library, tags and rates a few, and
renders the window offscreen unless QT_QPA_PLATFORM is set.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
PHOTOS = Path(os.environ.get("PICPOCKET_PHOTOS", REPOSITORY.parent / "shared" / "photos"))
OUTPUT = REPOSITORY / "resources" / "screenshots" / "main-window.png"
SIZE = (1500, 900)


async def prepare(folder: Path):
    """Return a library in `folder` with the sample photos, a few tagged and rated."""
    import picpocket

    photos = folder / "photos"
    shutil.copytree(PHOTOS, photos)
    api = await picpocket.initialize(folder / "library")
    await api.add_location("photos", photos, source=True, destination=True,
                           removable=False)
    await api.import_location("photos")
    ids = await api.get_image_ids(order=("path",))
    await api.tag_images(ids[:12], "camera/canon")
    await api.tag_images(ids[12:20], "camera/nikon")
    await api.tag_images(ids[20:36], "places/waterfall")
    await api.add_tag("camera", "The camera that took the photo")
    await api.add_tag("places", "Where the photo was taken")
    images = await api.get_images(ids)
    chosen = next(image.id for image in images if image.name.startswith("Reconyx"))
    await api.tag_images([chosen], "places/forest")
    await api.edit_image(chosen, title="Snow in the pines", rating=4,
                         caption="Trail camera at the north ridge", creator="Sam Lee")
    return api, chosen


async def shoot(output: Path) -> None:
    """Render the main window and save it to `output`."""
    from picpocket_gui.main_window import MainWindow
    from picpocket_gui.settings import Settings
    from PySide6.QtCore import QItemSelectionModel, QSettings

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        api, selected = await prepare(folder)
        store = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(api, Path("~/Pictures/PicPocket").expanduser(),
                            cache_dir=folder / "cache", settings=Settings(store))
        window.resize(*SIZE)
        window.show()
        await window.start()
        window.tag_panel.view.expandAll()
        row = window.grid_model.row_of(selected)
        window.grid.selectionModel().select(
            window.grid_model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
        )
        window.grid.scrollTo(window.grid_model.index(row, 0))
        await asyncio.sleep(4)  # thumbnails render in worker processes
        output.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(output))
        window.close()
        await window.shutdown()
        await api.close()
    print(f"Saved {output}")


def main() -> None:
    """Run the app's event loop just long enough to take the screenshot."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from picpocket_gui.event_loop import new_event_loop

    output = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    application = QApplication(sys.argv[:1])
    application.setQuitOnLastWindowClosed(False)
    loop = new_event_loop(application)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(shoot(output))


if __name__ == "__main__":
    main()
