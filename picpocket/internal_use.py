"""Markers used in the engine's signatures."""


class NotSupplied:
    """The default of an argument the caller left out.

    Passing None erases a stored value, so None cannot also mean
    "leave the value as it is".
    """

    _instance: "NotSupplied | None" = None

    def __new__(cls) -> "NotSupplied":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NotSupplied()"

    def __bool__(self) -> bool:
        return False


NOT_SUPPLIED = NotSupplied()
