"""Names that identify the desktop app to the system: window, icon, desktop file."""

APPLICATION_NAME = "PicPocket"
ORGANIZATION_NAME = "PicPocket"
ORGANIZATION_DOMAIN = "picpocket.org"
# The reverse-DNS id names the desktop entry, the AppStream metainfo and
# the icon, so the desktop can match the running window to them.
APPLICATION_ID = "org.picpocket.PicPocket"
