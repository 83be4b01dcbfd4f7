"""`picpocket images count` and `search`: find images by property, tag and location."""

from __future__ import annotations

import argparse
import logging
import textwrap
from typing import Any

from picpocket.api import PicPocket
from picpocket.cli import arguments, filters, records
from picpocket.cli.commands import Subparsers, add_command
from picpocket.cli.output import Output, image_line
from picpocket.cli.session import location_names, require_location
from picpocket.database.logic import And, Comparator, Comparison, Number, Or, Text
from picpocket.database.types import Image

logger = logging.getLogger(__name__)

# The properties that --text searches.
TEXT_SEARCHED = ("title", "caption", "alt", "creator", "path")

FILTER_DETAILS = f"""\
All filters must match. A tag also matches its descendants: --tag bird
finds images tagged bird/goose.

--where 'PROPERTY OPERATOR VALUE' compares one property, such as
  'rating >= 4', 'title %=% goose', 'creator = Ansel' or
  'creation_date >= 2021-03-01'. Quote the whole expression for the shell.
  Text operators: = (exact)  =% (starts with)  %= (ends with)  %=% (contains);
  the last three ignore case. Numbers and dates: = > >= < <=.
  Dates are ISO dates or date-times, in local time unless they give a zone.
  Without spaces the operator is read greedily: title=%x means "starts with
  x"; write title="%x" to match the text %x exactly (quotes also keep
  spaces at either end). location compares location ids.
{textwrap.fill("Properties: " + filters.property_names() + ".", 76,
                initial_indent="  ", subsequent_indent="  ")}"""

ORDER_DETAILS = """\
Order (--order, repeatable or comma-separated): a property name sorts in
ascending order; put - before it for descending order, and ! before or
after the name to put images without a value first or last. random
shuffles images that tie on the keys before it. Write a key that starts
with - as --order=-rating. The default order is unspecified.

Output: one line per image with id, location, path and title separated
by tabs; --paths prints only the full path of each image whose location
is reachable."""


def register(commands: Subparsers) -> None:
    """Add count and search to the images group."""
    parser = add_command(
        commands, "count", "print the number of matching images", run_count,
        details=FILTER_DETAILS,
    )
    add_filter_options(parser)
    json_text = records.json_details(
        "a JSON array of objects", records.IMAGE_KEYS, records.IMAGE_NOTES
    )
    parser = add_command(
        commands, "search", "list matching images", run_search,
        details=f"{FILTER_DETAILS}\n\n{ORDER_DETAILS}\n\n{json_text}",
    )
    add_filter_options(parser)
    _add_page_options(parser)
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json", action="store_true", help="print a JSON array; see above"
    )
    output.add_argument(
        "--paths",
        action="store_true",
        help="print one full file path per line, for other tools",
    )


def _add_page_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--order", action="extend", type=filters.order_keys, metavar="KEY",
        help="sort key; see above (repeatable)",
    )
    parser.add_argument(
        "--limit", type=arguments.count, metavar="N",
        help="print at most N images (default: all)",
    )
    parser.add_argument(
        "--offset", type=arguments.count, metavar="N",
        help="skip the first N matching images (default: 0)",
    )


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """Add the FILTERS options that count and search share."""
    filtering = parser.add_argument_group("filters")
    _add_tag_filters(filtering)
    filtering.add_argument(
        "--location", dest="locations", action="append", default=[], metavar="NAME",
        help="only images in this location (repeatable: any of them)",
    )
    _add_choice(
        filtering, "reachable",
        "images whose location is attached now",
        "images whose location is not attached now",
    )
    filtering.add_argument(
        "--rating-min", type=arguments.whole_number, metavar="N",
        help="only images rated N or higher",
    )
    filtering.add_argument(
        "--text", dest="texts", action="append", default=[], metavar="TEXT",
        help="only images whose title, caption, alt text, creator or path contains "
        "TEXT, ignoring case (repeatable: all must match)",
    )
    filtering.add_argument(
        "--where", dest="wheres", action="append", default=[],
        type=filters.where_expression, metavar="EXPR",
        help="only images that match 'PROPERTY OPERATOR VALUE'; see above "
        "(repeatable: all must match)",
    )


def _add_tag_filters(filtering: Any) -> None:
    for option, dest, meaning in (
        ("--tag", "all_tags", "images with this tag; all --tag options must match"),
        ("--any-tag", "any_tags", "images with at least one of these tags"),
        ("--no-tag", "no_tags", "images with none of these tags"),
    ):
        filtering.add_argument(
            option, dest=dest, action="append", metavar="TAG",
            help=f"only {meaning} (repeatable)",
        )
    _add_choice(
        filtering, "tagged", "images with at least one tag", "images without tags"
    )


def _add_choice(group: Any, name: str, yes: str, no: str) -> None:
    """Add the pair --NAME and --unNAME, which store True or False in `name`."""
    choice = group.add_mutually_exclusive_group()
    choice.add_argument(
        f"--{name}", dest=name, action="store_const", const=True, help=f"only {yes}"
    )
    choice.add_argument(
        f"--un{name}", dest=name, action="store_const", const=False, help=f"only {no}"
    )


async def build_filter(api: PicPocket, args: argparse.Namespace) -> Comparison | None:
    """Combine the filter options into one comparison (None for no filter)."""
    comparisons: list[Comparison] = list(args.wheres)
    if args.locations:
        ids = [(await require_location(api, name)).id for name in args.locations]
        comparisons.append(Or(*(Number("location", "=", value) for value in ids)))
    if args.rating_min is not None:
        comparisons.append(Number("rating", Comparator.GREATER_EQUALS, args.rating_min))
    for text in args.texts:
        comparisons.append(
            Or(*(Text(name, Comparator.CONTAINS, text) for name in TEXT_SEARCHED))
        )
    if not comparisons:
        return None
    if len(comparisons) == 1:
        return comparisons[0]
    return And(*comparisons)


async def build_criteria(api: PicPocket, args: argparse.Namespace) -> dict[str, Any]:
    """Return the keyword arguments of count_images() for the filter options."""
    return {
        "filter": await build_filter(api, args),
        "tagged": args.tagged,
        "any_tags": args.any_tags,
        "all_tags": args.all_tags,
        "no_tags": args.no_tags,
        "reachable": args.reachable,
    }


async def run_count(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print the number of matching images, alone."""
    out.line(str(await api.count_images(**await build_criteria(api, args))))


async def run_search(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print the matching images as lines, full paths or JSON."""
    ids = await api.get_image_ids(
        **await build_criteria(api, args),
        order=None if args.order is None else tuple(args.order),
        limit=args.limit,
        offset=args.offset,
    )
    images = await api.get_images(ids, tags=args.json)
    names = await location_names(api)
    if args.json:
        out.json([records.image_record(image, names) for image in images])
    elif args.paths:
        _print_paths(images, out)
    else:
        for image in images:
            out.line(image_line(image, names))


def _print_paths(images: list[Image], out: Output) -> None:
    unreachable = 0
    for image in images:
        if image.full_path is None:
            unreachable += 1
        else:
            out.line(str(image.full_path))
    if unreachable:
        logger.warning(
            "Left out %d images whose location is not reachable; attach it or "
            "use --reachable to leave them out silently",
            unreachable,
        )
