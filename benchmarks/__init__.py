"""Benchmarks of folkrnn-explorer: python -m benchmarks (see benchmarks/run.py)."""
