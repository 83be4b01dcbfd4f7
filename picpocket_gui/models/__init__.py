"""Qt models of the main window: the image grid, the tag tree and the locations."""

from picpocket_gui.models.image_grid import ImageGridModel
from picpocket_gui.models.locations import LocationListModel
from picpocket_gui.models.tag_tree import TagTreeModel

__all__ = ["ImageGridModel", "LocationListModel", "TagTreeModel"]
