"""Benchmarks: each ``bench_*.py`` module measures one target against a baseline of the same run."""
