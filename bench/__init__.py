"""Benchmarks of zhfix: accuracy per damage kind, false positives, throughput.

Run ``python -m bench`` (or ``python bench/run.py``); see :mod:`bench.run`.
"""
