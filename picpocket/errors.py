"""Exceptions raised by the PicPocket engine.

Every error derives from PicPocketError, and each subclass also derives
from the built-in exception that matches its meaning, so callers can
catch either.
"""


class PicPocketError(Exception):
    """Base class of every error the engine raises on purpose."""


class InputValidationError(PicPocketError, ValueError):
    """An argument is malformed or contradicts another argument."""


class InvalidPathError(PicPocketError, OSError):
    """A path is missing, escapes its location, or would overwrite a file."""


class PathOutsideRootError(InvalidPathError, InputValidationError):
    """A path given as an argument would lead outside a location's root.

    It is both an invalid path and a malformed argument, as the standard
    library's io.UnsupportedOperation is both an OSError and a ValueError,
    so callers catching either class see it.
    """


class UnknownItemError(PicPocketError, KeyError):
    """A named location, image, task or tag does not exist."""

    def __str__(self) -> str:
        # KeyError quotes its argument; the message should read as a sentence.
        return str(self.args[0]) if self.args else ""


class DataIntegrityError(PicPocketError):
    """The action would delete user data that the caller did not ask to delete."""
