"""`picpocket init`: create a library."""

from __future__ import annotations

import argparse
import getpass
from importlib import metadata
from typing import Any

import picpocket
from picpocket.cli import arguments
from picpocket.cli.commands import Subparsers, add_command
from picpocket.cli.errors import UsageError
from picpocket.cli.output import Output

# Entry-point group under which backends register (sqlite, postgres, others).
BACKEND_GROUP = "picpocket.backends"
SERVER_OPTIONS = ("host", "port", "user", "dbname")


def register(subparsers: Subparsers) -> None:
    """Add the init command."""
    entries = metadata.entry_points(group=BACKEND_GROUP)
    backends = sorted(entry.name for entry in entries)
    parser = add_command(
        subparsers,
        "init",
        "create a new library in the --config folder",
        run_init,
        details=(
            "SQLite keeps the database file in the library folder. For PostgreSQL, "
            "give the server settings; the password is asked for with "
            "--password-prompt and is stored in the configuration only with "
            "--store-password (otherwise every command asks for it)."
        ),
        opens_library=False,
    )
    parser.add_argument(
        "--backend",
        default="sqlite",
        choices=backends or None,
        help="database backend (default: sqlite)",
    )
    _add_server_options(parser)


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    server = parser.add_argument_group("database server (postgres)")
    server.add_argument("--host", help="server host name or socket folder")
    server.add_argument("--port", type=arguments.port, help="server TCP port")
    server.add_argument("--user", help="database user name")
    server.add_argument("--dbname", help="database name; it must already exist")
    server.add_argument(
        "--password-prompt",
        action="store_true",
        help="ask for the database password on the terminal",
    )
    server.add_argument(
        "--store-password",
        action="store_true",
        help="store the password in the library configuration (a file readable "
        "only by you)",
    )


async def run_init(args: argparse.Namespace, out: Output) -> None:
    """Create the library and close it again."""
    connection_info = _connection_info(args)
    store_credentials = True if args.store_password else None
    api = await picpocket.initialize(
        args.config,
        args.backend,
        store_credentials=store_credentials,
        **connection_info,
    )
    await api.close()
    out.status(f"Created a {args.backend} library in {args.config}")


def _connection_info(args: argparse.Namespace) -> dict[str, Any]:
    settings = {
        name: getattr(args, name)
        for name in SERVER_OPTIONS
        if getattr(args, name) is not None
    }
    if args.backend == "sqlite":
        flags = [f"--{name}" for name in settings]
        if args.password_prompt:
            flags.append("--password-prompt")
        if args.store_password:
            flags.append("--store-password")
        if flags:
            raise UsageError(
                f"{', '.join(flags)} apply to database servers, not to sqlite; "
                f"add --backend postgres"
            )
        return settings
    if args.password_prompt:
        settings["password"] = getpass.getpass("Database password: ")
    return settings
