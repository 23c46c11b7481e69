"""Scale multiplies customers, orders and events; the catalog stays the same."""

from __future__ import annotations

from pathlib import Path

from generators import generate_extract


def test_double_scale_doubles_volumes_not_the_catalog(tmp_path: Path, small_extract: Path,
                                                      manifest_of) -> None:
    big = manifest_of(small_extract)  # scale 0.05
    generate_extract(tmp_path / "double", scale=0.1, seed=11)
    double = manifest_of(tmp_path / "double")
    for figure in ("customers", "orders", "order_lines", "units", "online_orders"):
        ratio = double["truth"][figure] / big["truth"][figure]
        assert 1.85 < ratio < 2.15, (figure, ratio)
    events = "source_web/events.jsonl"
    assert 1.8 < double["row_counts"][events] / big["row_counts"][events] < 2.2
    for catalog_file in ("source_crm/prd_info.csv", "source_erp/PX_CAT_G1V2.csv"):
        assert double["row_counts"][catalog_file] == big["row_counts"][catalog_file]
    assert double["truth"]["current_products"] == big["truth"]["current_products"] == 295


def test_tiny_scale_still_makes_a_complete_extract(tmp_path: Path, manifest_of) -> None:
    generate_extract(tmp_path / "tiny", scale=0.0001, seed=1)
    truth = manifest_of(tmp_path / "tiny")["truth"]
    assert truth["customers"] >= 1 and truth["orders"] >= 1 and truth["order_lines"] >= 1
