"""Reliability tests: hostile files, escaping paths, interrupted and concurrent work."""
