"""The Dagster definitions load, and the lineage is the one connected graph the design promises."""

import dagster as dg
import pytest

BRONZE = ["crm_cust_info", "crm_prd_info", "crm_sales_details", "erp_cust_az12",
          "erp_loc_a101", "erp_px_cat_g1v2", "erp_ret_ord_q1", "web_events"]
GOLD = ["dim_customers", "dim_products", "dim_date", "fct_sales", "fct_returns",
        "fct_web_events", "kpi_web_funnel", "customer_segments", "kpi_customer_tiers",
        "nosql_most_viewed_products", "nosql_category_views_daily", "nosql_session_funnel"]
SPARK = dg.AssetKey(["segmentation", "customer_segments_parquet"])


@pytest.fixture(scope="module")
def graph():
    from orchestration.definitions import defs

    loaded = defs()  # what `dagster dev` loads
    dg.Definitions.validate_loadable(loaded)
    return loaded.resolve_asset_graph()


def _key(path: str) -> dg.AssetKey:
    return dg.AssetKey(path.split("/"))


def _ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    found: set[dg.AssetKey] = set()
    frontier = {key}
    while frontier:
        frontier = {p for k in frontier for p in graph.get(k).parent_keys} - found
        found |= frontier
    return found


def test_every_layer_is_present_with_its_group(graph) -> None:
    keys = graph.get_all_asset_keys()
    expected = {"raw/extract": "raw", "exports/powerbi": "exports",
                "segmentation/customer_segments_parquet": "segmentation",
                "nosql/events": "nosql", "nosql/customer_profiles": "nosql",
                "silver/stg_crm__sales": "silver", "silver/rejected_rows": "silver",
                "gold/fct_sales": "gold", "gold/customer_segments": "segmentation",
                "gold/kpi_customer_tiers": "segmentation",
                "gold/nosql_session_funnel": "nosql",
                **{f"bronze/{t}": "bronze" for t in BRONZE}}
    for path, group in expected.items():
        assert _key(path) in keys, path
        assert graph.get(_key(path)).group_name == group, path
    for name in GOLD:
        assert _key(f"gold/{name}") in keys, name


def test_lineage_is_one_graph_from_raw_files_to_exports(graph) -> None:
    upstream_of_exports = graph.get(_key("exports/powerbi")).parent_keys
    assert {_key(f"gold/{name}") for name in GOLD} <= upstream_of_exports
    # dbt sources are the bronze assets themselves
    assert _key("bronze/crm_sales_details") in _ancestors(graph, _key("silver/stg_crm__sales"))
    for table in BRONZE:
        assert graph.get(_key(f"bronze/{table}")).parent_keys == {_key("raw/extract")}
    # the Spark step sits between gold facts and the dbt models that read its Parquet
    assert _key("gold/fct_sales") in graph.get(SPARK).parent_keys
    assert SPARK in graph.get(_key("gold/customer_segments")).parent_keys
    # no island and no dangling dependency: the only roots are the extract and the dbt seeds
    assert not graph.external_asset_keys
    roots = {k for k in graph.get_all_asset_keys() if not graph.get(k).parent_keys}
    assert _key("raw/extract") in roots
    assert all(k == _key("raw/extract") or graph.get(k).is_materializable and
               k.path[0] == "silver" and "dbt" in graph.get(k).kinds for k in roots)
    assert {k.path[1] for k in roots if k.path[0] == "silver"} >= {"country_codes"}


def test_asset_descriptions_come_from_the_dbt_yaml(graph) -> None:
    import json

    from orchestration.project import dbt_project

    nodes = json.loads(dbt_project().manifest_path.read_text())["nodes"]
    documented = [n for n in nodes.values()
                  if n["resource_type"] == "model" and n.get("description")
                  and n["config"].get("materialized") != "ephemeral"]
    assert documented
    for node in documented:
        key = dg.AssetKey([node["config"].get("schema") or node["schema"], node["name"]])
        assert graph.get(key).description.startswith(node["description"]), key


def test_dbt_tests_are_checks_and_unit_tests_are_not(graph) -> None:
    checks = {f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys}
    assert "gold/fct_sales:gold_matches_extract_truth" in checks
    assert "exports/powerbi:exports_match_gold" in checks
    assert "gold/nosql_session_funnel:mongo_matches_dbt" in checks
    assert any(c.startswith("gold/fct_sales:unique_") or c.startswith("gold/fct_sales:not_null")
               for c in checks)
    assert len(checks) > 50
    assert not [c for c in checks if "unit_test" in c]


def test_job_schedule_and_sensor_are_defined() -> None:
    from orchestration.definitions import defs

    loaded = defs()
    job = loaded.resolve_job_def("full_pipeline")
    assert job.executor_def.name == "in_process"
    assert loaded.resolve_schedule_def("daily_refresh").job_name == "full_pipeline"
    assert loaded.resolve_sensor_def("landing_folder_sensor").job_name == "full_pipeline"
