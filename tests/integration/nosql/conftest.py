"""MongoDB fixtures: one real server per test session, one fresh database per test.

The server is the embedded SecantusDB one (started in-process by `mongo_client`), or the real
MongoDB named by MONGODB_URI when that is set in the environment. Databases are named
`retail_test_<session id>_<n>` and dropped afterwards, so a real server is left clean.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from nosql_fixtures import settings_under

from retail.settings import Settings

_SESSION = uuid.uuid4().hex[:8]
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def mongo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_under(tmp_path_factory.mktemp("nosql"), os.environ.get("MONGODB_URI"))


@pytest.fixture(scope="session")
def mongo(mongo_settings: Settings) -> Iterator[Any]:
    """A connected pymongo client for the whole session."""
    from retail.nosql import mongo_client

    with mongo_client(mongo_settings) as client:
        yield client


@pytest.fixture
def db(mongo: Any) -> Iterator[Any]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"retail_test_{_SESSION}_{next(_numbers)}"
    yield mongo[name]
    mongo.drop_database(name)
