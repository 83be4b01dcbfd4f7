"""Keep pytest away from the benchmark scripts, which run on their own."""

collect_ignore_glob = ["bench_*.py"]
