"""The resource holds a settings value and gives the same value back, in a run and outside one."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.resources import RetailResource
from retail.settings import Settings


def _probe(seen: list[Settings]) -> dg.AssetsDefinition:
    @dg.asset
    def probe(retail: RetailResource) -> None:
        seen.append(retail.settings())

    return probe


def test_from_settings_gives_the_settings_back(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    uri = "mongodb://ops:T0pSecret@db.example:27017"
    monkeypatch.setenv("MONGODB_URI", uri)  # the environment `dagster dev` would read
    for settings in (Settings.rooted_at(tmp_path),
                     Settings.rooted_at(tmp_path, MONGODB_URI=uri, SPARK_REMOTE="sc://s:15002")):
        resource = RetailResource.from_settings(settings)
        assert resource.settings() == settings
        seen: list[Settings] = []
        assert dg.materialize([_probe(seen)], resources={"retail": resource}).success
        assert seen == [settings]
    # a password read from MONGODB_URI is config by reference, never by value
    assert "T0pSecret" not in str(RetailResource.from_settings(
        Settings.rooted_at(tmp_path, MONGODB_URI=uri)).model_dump())
