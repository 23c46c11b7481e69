"""The dbt docs site (`retail docs`) as a person sees it: served over HTTP, rendered by headless
Chromium, read back from the page and from the manifest/catalog the page loads.

Chromium is Debian's `chromium` package; without it these tests fail (CI installs it).
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.commands import docs

ROOT = Path(__file__).resolve().parents[3]
OVERVIEW = ROOT / "models" / "overview.md"
SPARK_SOURCE = "source.retail.segmentation.customer_segments_parquet"
EXPOSURE = "exposure.retail.powerbi_retail_sales_report"


@pytest.fixture(scope="module")
def site(built_warehouse: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`retail docs`' generate step on the session warehouse, served on a free port."""
    settings = dataclasses.replace(
        built_warehouse.settings, export_dir=tmp_path_factory.mktemp("docs") / "exports"
    )
    folder = docs.generate(settings)
    server = docs.make_server(folder, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def rendered_text(url: str) -> str:
    """The page's visible text after its scripts ran (scripts and styles removed)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("install Debian's chromium package (apt-get install -y chromium)")
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert proc.returncode == 0 and proc.stdout, proc.stderr[-2000:]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", proc.stdout, flags=re.S | re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def overview_lines() -> list[str]:
    """The headings of models/overview.md, as plain text."""
    text = OVERVIEW.read_text(encoding="utf-8")
    return [line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")]


def test_the_landing_page_shows_the_project_overview(site: str) -> None:
    text = rendered_text(f"{site}/index.html")
    headings = overview_lines()
    assert len(headings) >= 4
    for heading in headings:
        assert heading in text, f"overview heading {heading!r} not on the landing page"
    assert "Welcome!" not in text
    assert "Rounding rule" in text and "+exposure:powerbi_retail_sales_report" in text
    assert "auto-generated documentation for your dbt project" not in text


def _ancestors(parent_map: dict[str, list[str]], node: str) -> set[str]:
    seen: set[str] = set()
    todo = [node]
    while todo:
        for parent in parent_map.get(todo.pop(), []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_lineage_runs_from_the_facts_through_spark_to_the_report(site: str) -> None:
    manifest = fetch_json(f"{site}/manifest.json")
    parents = manifest["parent_map"]
    segments = "model.retail.customer_segments"
    tiers = "model.retail.kpi_customer_tiers"
    # customer_segments reads Spark's output through the source, and Spark's inputs are edges
    assert SPARK_SOURCE in parents[segments]
    assert "model.retail.fct_sales" in parents[segments]
    assert segments in parents[tiers]
    report = set(parents[EXPOSURE])
    assert {segments, tiers} <= report
    # the report reaches back to bronze through fct_sales and the Spark source
    upstream = _ancestors(parents, EXPOSURE)
    assert {"model.retail.fct_sales", SPARK_SOURCE, "source.retail.crm.sales_details"} <= upstream
    source = manifest["sources"][SPARK_SOURCE]
    # the source names the Dagster asset that writes it, and where the Parquet is
    assert "segmentation/customer_segments_parquet" in source["description"]
    assert "fct_sales" in source["description"]
    assert source["relation_name"].startswith("read_parquet(")
    catalog = fetch_json(f"{site}/catalog.json")
    assert "model.retail.customer_segments" in catalog["nodes"]


def test_test_nodes_are_hidden_from_the_docs_site(site: str) -> None:
    manifest = fetch_json(f"{site}/manifest.json")
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(tests) > 100
    assert all(n["docs"]["show"] is False for n in tests)
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert models and all(n["docs"]["show"] for n in models)
    with urllib.request.urlopen(f"{site}/index.html", timeout=30) as response:
        page = response.read().decode("utf-8")
    # the graph's default selection (dbt-docs' selectorService) leaves tests out
    assert docs.NO_TEST_GRAPH_TYPES in page
    assert docs.DEFAULT_GRAPH_TYPES not in page
