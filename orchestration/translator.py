"""How dbt resources appear in Dagster: keys, groups and the link to the Spark asset.

Keys are `[schema, name]` (`bronze/crm_cust_info`, `silver/stg_crm__sales`, `gold/fct_sales`), so
the dbt sources land exactly on the bronze assets and the lineage is one connected graph.
Groups follow the dbt folders. Descriptions come from the dbt YAML (the default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

SPARK_SEGMENTS_KEY = dg.AssetKey(["segmentation", "customer_segments_parquet"])


def _folder(props: Mapping[str, Any]) -> str:
    """The model's path inside models/ (e.g. 'marts/segmentation/customer_segments.sql')."""
    return str(props.get("original_file_path", "")).removeprefix("models/")


def is_segmentation_model(props: Mapping[str, Any]) -> bool:
    return props.get("resource_type") == "model" and _folder(props).startswith(
        "marts/segmentation/"
    )


class RetailDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        props = dbt_resource_props
        if props["resource_type"] == "source":
            if props.get("source_name") == "segmentation":
                return SPARK_SEGMENTS_KEY
            return dg.AssetKey([props["schema"], props.get("identifier") or props["name"]])
        schema = props.get("config", {}).get("schema") or props.get("schema") or "silver"
        return dg.AssetKey([schema, props.get("alias") or props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        props = dbt_resource_props
        folder = _folder(props)
        if props["resource_type"] == "seed" or folder.startswith(("staging/", "intermediate/")):
            return "silver"
        if folder.startswith("marts/segmentation/"):
            return "segmentation"
        if folder.startswith("marts/"):
            return "gold"
        return "silver"

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetSpec:
        """Segmentation models read Spark's Parquet: make the Spark asset their upstream."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if is_segmentation_model(props) and SPARK_SEGMENTS_KEY not in {
            dep.asset_key for dep in spec.deps
        }:
            spec = spec.merge_attributes(deps=[SPARK_SEGMENTS_KEY])
        return spec
