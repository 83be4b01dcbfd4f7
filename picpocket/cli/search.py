"""`picpocket search`: find images by property, tag and reachability."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from picpocket.api import PicPocket
from picpocket.cli import arguments, filters
from picpocket.cli.commands import Subparsers, add_command
from picpocket.cli.output import Output, image_line
from picpocket.cli.session import location_names, require_location
from picpocket.database.logic import And, Comparison, Number, Or

DETAILS = f"""\
Filters (--filter, repeatable; all must match):
  PROPERTY OPERATOR VALUE, such as rating>=4, title%=%goose, creator=Ansel
  or creation_date>=2021-03-01. Quote the whole expression for the shell.
  Text operators: = (exact)  =% (starts with)  %= (ends with)  %=% (contains);
  the last three ignore case. Numbers and dates: = > >= < <=.
  Dates are ISO dates or date-times, in local time unless they give a zone.
  The operator is read greedily: title=%x means "starts with x"; write
  title="%x" to match the text %x exactly (quotes also keep spaces).
  An empty value (caption=) matches the empty text; --missing caption
  finds images without a caption.
{textwrap.fill("Properties: " + filters.property_names() + ".", 76,
                initial_indent="  ", subsequent_indent="  ")}

Order (--order, repeatable or comma-separated):
  A property name, ascending; put - before it for descending, and ! before
  or after the name to put images without a value first or last. random
  shuffles images that tie on the keys before it. Write a key that starts
  with - as --order=-rating.

Output: one line per image with id, location, path and title separated by
tabs, or the ids (--ids), the number of matches (--count) or JSON (--json).
"""


def register(subparsers: Subparsers) -> None:
    """Add the search command."""
    parser = add_command(
        subparsers, "search", "find images by property, tag and location", run_search,
        details=DETAILS,
    )
    _add_filter_options(parser)
    _add_tag_options(parser)
    parser.add_argument(
        "--order", action="extend", type=filters.order_keys, metavar="KEY",
        help="sort key; see above",
    )
    parser.add_argument(
        "--limit", type=arguments.count, metavar="N", help="print at most N images"
    )
    parser.add_argument(
        "--offset", type=arguments.count, metavar="N", help="skip the first N images"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--count", action="store_true", help="print the number of matches"
    )
    output.add_argument("--ids", action="store_true", help="print only image ids")
    output.add_argument("--json", action="store_true", help="print JSON")


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--filter", dest="filters", action="append", default=[],
        type=filters.image_filter, metavar="EXPR",
        help="only images that match EXPR (repeatable)",
    )
    parser.add_argument(
        "--exclude", dest="filters", action="append", type=filters.image_exclusion,
        metavar="EXPR", help="only images that do not match EXPR (repeatable)",
    )
    parser.add_argument(
        "--missing", dest="filters", action="append", type=filters.missing_property,
        metavar="PROPERTY",
        help="only images without a value for PROPERTY (repeatable)",
    )
    parser.add_argument(
        "--location", dest="locations", action="append", default=[], metavar="NAME",
        help="only images in this location (repeatable: any of them)",
    )
    reachable = parser.add_mutually_exclusive_group()
    reachable.add_argument(
        "--reachable", dest="reachable", action="store_const", const=True,
        help="only images whose location is attached now",
    )
    reachable.add_argument(
        "--unreachable", dest="reachable", action="store_const", const=False,
        help="only images whose location is not attached now",
    )


def _add_tag_options(parser: argparse.ArgumentParser) -> None:
    tagged = parser.add_mutually_exclusive_group()
    tagged.add_argument(
        "--tagged", dest="tagged", action="store_const", const=True,
        help="only images with at least one tag",
    )
    tagged.add_argument(
        "--untagged", dest="tagged", action="store_const", const=False,
        help="only images without tags",
    )
    for option, meaning in (
        ("any-tag", "images with at least one of these tags"),
        ("all-tag", "images with all of these tags"),
        ("no-tag", "images with none of these tags"),
    ):
        parser.add_argument(
            f"--{option}", action="append", metavar="TAG",
            help=f"only {meaning}; a tag also matches its descendants (repeatable)",
        )


async def build_filter(api: PicPocket, args: argparse.Namespace) -> Comparison | None:
    """Combine the filter options into one comparison (None for no filter)."""
    comparisons: list[Comparison] = list(args.filters)
    if args.locations:
        ids = [(await require_location(api, name)).id for name in args.locations]
        comparisons.append(Or(*(Number("location", "=", value) for value in ids)))
    if not comparisons:
        return None
    if len(comparisons) == 1:
        return comparisons[0]
    return And(*comparisons)


async def run_search(api: PicPocket, args: argparse.Namespace, out: Output) -> None:
    """Print the matching images, their ids, their number or JSON."""
    criteria: dict[str, Any] = {
        "filter": await build_filter(api, args),
        "tagged": args.tagged,
        "any_tags": args.any_tag,
        "all_tags": args.all_tag,
        "no_tags": args.no_tag,
        "reachable": args.reachable,
    }
    if args.count:
        out.line(str(await api.count_images(**criteria)))
        return
    page = {
        "order": None if args.order is None else tuple(args.order),
        "limit": args.limit,
        "offset": args.offset,
    }
    if args.ids:
        for image_id in await api.get_image_ids(**criteria, **page):
            out.line(str(image_id))
        return
    images = await api.search_images(**criteria, **page)
    if args.json:
        out.json([image.serialize() for image in images])
        return
    names = await location_names(api)
    for image in images:
        out.line(image_line(image, names))
