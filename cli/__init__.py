"""The `retail` command line: the top layer, above orchestration, retail and generators.

Nothing imports this package but the `retail` entry point (pyproject.toml) and tests; every
import from here points down (see tests/unit/test_layers.py).
"""
