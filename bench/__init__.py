"""Benchmarks: every step beside a baseline measured in the same run (``python -m bench``)."""
