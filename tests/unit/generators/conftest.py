"""Fixtures for the generator tests: small real extracts written to tmp folders."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from generators import generate_extract, generate_followon

SMALL_SCALE = 0.05


def _load(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text())


@pytest.fixture(scope="session")
def small_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Scale 0.05: ~925 customers, ~1,400 orders, ~3,000 lines."""
    out = tmp_path_factory.mktemp("gen") / "small"
    generate_extract(out, scale=SMALL_SCALE, seed=11)
    return out


@pytest.fixture(scope="session")
def defective_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every defect rate raised to at least 5%, so every defect kind occurs many times."""
    from generators.config import DefectRates, GeneratorConfig

    rates = DefectRates()
    already_high = ("nas_prefix", "prd_line_space", "prd_end_before_start")
    boosted = replace(rates, **{k: max(v, 0.05) for k, v in vars(rates).items()
                                if k not in already_high})
    out = tmp_path_factory.mktemp("gen") / "defective"
    generate_extract(out, scale=0.03, seed=5, config=GeneratorConfig(defects=boosted))
    return out


@pytest.fixture(scope="session")
def followon(small_extract: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "small-next"
    generate_followon(small_extract, 45, out)
    return out


@pytest.fixture()
def manifest_of():
    return _load
