"""Benchmarks: `make bench` writes BENCHMARKS.md."""
