"""The search bar's query and its translation into engine search arguments."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from picpocket.database.logic import And, Comparator, Comparison, Number, Or, Text

logger = logging.getLogger(__name__)

ORDER_KEYS = ("creation_date", "rating", "name", "path", "random")
TEXT_COLUMNS = ("title", "caption", "alt", "creator", "path")

# A double-quoted phrase (the quotes removed) or a run of non-space characters.
_TERM = re.compile(r'"([^"]*)"|(\S+)')


def split_terms(text: str) -> list[str]:
    """Split search text into terms, keeping "double-quoted phrases" whole.

    NUL characters are dropped because no stored text can contain them.
    An unmatched quote counts as an ordinary character.
    """
    terms = []
    for match in _TERM.finditer(text.replace("\x00", "")):
        phrase, word = match.groups()
        term = (phrase if phrase is not None else word).strip()
        if term:
            terms.append(term)
    return terms


@dataclass(frozen=True)
class SearchQuery:
    """Search criteria and sort order from the search bar.

    `text` is split into terms (see `split_terms`), and an image matches
    when every term occurs, ignoring ASCII case, in at least one of its
    title, caption, alt text, creator or path. `rating_min` of None
    includes unrated images. `location` is a location id. `order` is one
    of ORDER_KEYS. `unrated_last` puts images lacking the sort property
    after the others, whatever the direction.
    """

    text: str = ""
    all_tags: tuple[str, ...] = ()
    any_tags: tuple[str, ...] = ()
    no_tags: tuple[str, ...] = ()
    rating_min: int | None = None
    location: int | None = None
    reachable_only: bool = False
    order: str = "creation_date"
    descending: bool = True
    unrated_last: bool = True

    def __post_init__(self) -> None:
        if self.order not in ORDER_KEYS:
            raise ValueError(
                f"Unknown sort order {self.order!r}; use one of: "
                + ", ".join(ORDER_KEYS)
            )

    def filter(self) -> Comparison | None:
        """Return the engine filter for the text, rating and location, or None."""
        parts: list[Comparison] = []
        for term in split_terms(self.text):
            matches = (Text(name, Comparator.CONTAINS, term) for name in TEXT_COLUMNS)
            parts.append(Or(*matches))
        if self.rating_min is not None:
            parts.append(Number("rating", Comparator.GREATER_EQUALS, self.rating_min))
        if self.location is not None:
            parts.append(Number("location", Comparator.EQUALS, self.location))
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return And(*parts)

    def order_keys(self) -> tuple[str, ...]:
        """Return the engine's `order` tuple, such as ("-rating!",)."""
        if self.order == "random":
            return ("random",)
        key = f"{self.order}!" if self.unrated_last else f"!{self.order}"
        if self.descending:
            key = "-" + key
        return (key,)

    def engine_arguments(self, *, ordered: bool = True) -> dict[str, Any]:
        """Return keyword arguments for get_image_ids and search_images.

        With `ordered=False` the `order` argument is left out, which makes
        the arguments valid for count_images too. Criteria that are not
        set are left out, so the engine's defaults apply.
        """
        arguments: dict[str, Any] = {}
        condition = self.filter()
        if condition is not None:
            arguments["filter"] = condition
        for name in ("all_tags", "any_tags", "no_tags"):
            tags = getattr(self, name)
            if tags:
                arguments[name] = list(tags)
        if self.reachable_only:
            arguments["reachable"] = True
        if ordered:
            arguments["order"] = self.order_keys()
        logger.debug("Search arguments for %r: %r", self, arguments)
        return arguments
