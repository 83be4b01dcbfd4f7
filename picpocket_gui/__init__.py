"""The PicPocket desktop app (PySide6 with qasync); it uses only the engine's public API."""
