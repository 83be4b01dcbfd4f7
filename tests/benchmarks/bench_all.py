"""Run the import and the search benchmarks against one PostgreSQL server.

Takes the options that both scripts share (--backend, --write, --verbose
and --wait-quiet); photo counts and sizes keep their defaults. Run from
the repository root:

    /work/venv/bin/python -m tests.benchmarks.bench_all [--write]
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import nullcontext

from tests.benchmarks import bench_import, bench_search, harness, results


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_common_arguments(parser)
    return harness.finish_arguments(parser.parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks, print their tables and, with --write, update RESULTS.md."""
    arguments = parse_arguments(argv)
    harness.configure_logging(arguments.verbose)
    common = list(argv) if argv is not None else None
    import_arguments = bench_import.parse_arguments(common)
    search_arguments = bench_search.parse_arguments(common)
    needs_server = "postgres" in arguments.backends
    with harness.postgres_server() if needs_server else nullcontext() as server:
        import_report = asyncio.run(bench_import.run(import_arguments, server))
        results.publish(import_report, bench_import.SECTION, arguments.write, server)
        search_report = asyncio.run(bench_search.run(search_arguments, server))
        results.publish(search_report, bench_search.SECTION, arguments.write, server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
