"""Errors raised by the command line itself, with the exit code they map to."""


class CommandError(Exception):
    """A command cannot run as given; main() prints the message and exits with 1."""

    exit_code = 1


class UsageError(CommandError):
    """The options contradict each other or leave nothing to do (exit code 2)."""

    exit_code = 2
