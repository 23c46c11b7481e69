"""One real local Spark session for all segmentation tests (it takes ~10 s to start)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from segmentation_fixtures import settings_under

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    from retail.segmentation.session import start_session

    session = start_session(settings_under(tmp_path_factory.mktemp("spark")))
    try:
        yield session
    finally:
        session.stop()
