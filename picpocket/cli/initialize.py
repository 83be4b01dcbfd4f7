"""`picpocket initialize`: create a library on SQLite, PostgreSQL or another backend."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

import picpocket
from picpocket.backends import available_backends
from picpocket.cli import arguments
from picpocket.cli.commands import Subparsers, add_command
from picpocket.cli.output import Output
from picpocket.cli.session import PASSWORD_VARIABLE

BUILT_IN = ("sqlite", "postgres")
SERVER_OPTIONS = ("host", "port", "user", "dbname")

DETAILS = """\
Creates the library folder given with --library and its configuration.
Without a backend, or with 'sqlite', the database is a file in that
folder. With 'postgres', the library lives in an existing PostgreSQL
database; see 'picpocket initialize postgres --help'."""

POSTGRES_DETAILS = f"""\
The database must exist already; PicPocket creates its tables in it.
The password is read from {PASSWORD_VARIABLE} when it is set, and is
otherwise asked for on a terminal (leave it empty for none). It is
stored in the library's configuration file (readable only by you) with
--store-password; otherwise each command reads {PASSWORD_VARIABLE} or
prompts for it again. Options left out take libpq's defaults."""


def register(subparsers: Subparsers) -> None:
    """Add the initialize command and its backend subcommands."""
    parser = add_command(
        subparsers,
        "initialize",
        "create a new library in the --library folder",
        run_initialize,
        details=DETAILS,
        opens_library=False,
    )
    backends = parser.add_subparsers(
        dest="backend", metavar="[BACKEND]", title="backends (default: sqlite)"
    )
    # After add_subparsers, so that the default reaches its action too.
    parser.set_defaults(backend="sqlite", settings=[])
    backends.add_parser(
        "sqlite",
        help="keep the database in a file in the library folder",
        description="Create a library whose database is a file in its folder.",
    )
    _register_postgres(backends)
    for name in sorted(set(available_backends()) - set(BUILT_IN)):
        _register_other_backend(backends, name)


def _register_postgres(backends: Subparsers) -> None:
    parser = backends.add_parser(
        "postgres",
        help="keep the library in a PostgreSQL database",
        description=f"Create a library in a PostgreSQL database.\n\n{POSTGRES_DETAILS}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        help="server host name, address or socket folder (default: the local socket)",
    )
    parser.add_argument(
        "--port", type=arguments.port, help="server TCP port (default: 5432)"
    )
    parser.add_argument(
        "--user", help="database user name (default: your operating system user)"
    )
    parser.add_argument(
        "--dbname", required=True, help="name of the database to use (required)"
    )
    parser.add_argument(
        "--store-password",
        action="store_true",
        help="store the password in the library configuration (default: not stored)",
    )


def _register_other_backend(backends: Subparsers, name: str) -> None:
    parser = backends.add_parser(
        name,
        help=f"use the {name} backend",
        description=f"Create a library with the {name} backend.",
    )
    parser.add_argument(
        "--setting",
        dest="settings",
        action="append",
        default=[],
        type=arguments.setting,
        metavar="KEY=VALUE",
        help="connection setting passed to the backend (repeatable)",
    )


async def run_initialize(args: argparse.Namespace, out: Output) -> None:
    """Create the library and close it again."""
    store_credentials = True if getattr(args, "store_password", False) else None
    api = await picpocket.initialize(
        args.library,
        args.backend,
        store_credentials=store_credentials,
        **connection_info(args),
    )
    await api.close()
    out.status(f"Created a {args.backend} library in {args.library}")


def connection_info(args: argparse.Namespace) -> dict[str, Any]:
    """Return the backend's connection settings from the parsed options."""
    if args.backend == "sqlite":
        return {}
    if args.backend != "postgres":
        return dict(args.settings)
    settings = {
        name: getattr(args, name)
        for name in SERVER_OPTIONS
        if getattr(args, name) is not None
    }
    password = _server_password(args.user)
    if password:
        settings["password"] = password
    return settings


def _server_password(user: str | None) -> str | None:
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        return None
    account = f" for {user}" if user else ""
    return getpass.getpass(f"Database password{account} (leave empty for none): ")
