"""Fixtures of the gold tests (the helpers live in gold_fixtures.py)."""

from __future__ import annotations

from typing import Any

import pytest
from gold_fixtures import truth_figures


@pytest.fixture(scope="session")
def gold_figures(built_warehouse: Any) -> dict[str, int]:
    """The nine truth figures computed from the session warehouse."""
    return truth_figures(built_warehouse.duckdb_path)
