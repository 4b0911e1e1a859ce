"""Helpers the tests and benchmarks import: scenario loading and pipeline building.

Plain modules, imported by name (``from tests.support import scenarios``); ``tests/conftest.py`` keeps only fixtures,
because pytest owns conftest modules and importing them by path loads a second copy under ``--import-mode=importlib``.
"""
