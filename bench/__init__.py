"""Benchmarks: each module `bench/bench_*.py` runs standalone (`python -m bench.bench_x`)."""
