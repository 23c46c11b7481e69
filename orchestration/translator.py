"""How dbt resources appear in Dagster: keys, groups and the link to the Spark asset.

Keys are `[schema, name]` (`bronze/crm_cust_info`, `silver/stg_crm__sales`, `gold/fct_sales`), so
the dbt sources land exactly on the bronze assets and the lineage is one connected graph.
Groups follow the dbt folders. Descriptions come from the dbt YAML (the default); a dbt test's
check gets its YAML `description`, else a sentence made from the generic test and its arguments
("not_null on gold.dim_customers.customer_key"), so no check reads "No description provided".
Singular tests that read several models name the model they guard in `meta.dagster.ref`
(tests/dbt/singular/*.yml); dagster-dbt then makes them checks on that model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

SPARK_SEGMENTS_KEY = dg.AssetKey(["segmentation", "customer_segments_parquet"])


def _folder(props: Mapping[str, Any]) -> str:
    """The model's path inside models/ (e.g. 'marts/segmentation/customer_segments.sql')."""
    return str(props.get("original_file_path", "")).removeprefix("models/")


_REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""")
_SHOWN_KWARGS = ("values", "to", "field", "combination_of_columns", "min_value", "max_value",
                 "expression", "datepart", "interval")


def _relation(props: Mapping[str, Any], model_arg: str) -> str:
    """The name of the test's model (`ref('x')` in its kwargs, else its first parent)."""
    match = _REF.search(model_arg or "")
    if match:
        return match.group(1)
    parents = props.get("depends_on", {}).get("nodes", [])
    return parents[0].rsplit(".", 1)[-1] if parents else "its model"


def describe_test(props: Mapping[str, Any]) -> str:
    """What a dbt test checks, in one line: its YAML description, else one made from its kind."""
    text = " ".join(str(props.get("description") or "").split())
    if text:
        return text
    meta = props.get("test_metadata") or {}
    kind = meta.get("name")
    if not kind:
        return f"dbt singular test {props.get('name')} returns no rows."
    kwargs = dict(meta.get("kwargs") or {})
    target = _relation(props, str(kwargs.get("model", "")))
    column = kwargs.get("column_name")
    on = f"{target}.{column}" if column else target
    shown = {k: _REF.sub(r"\1", str(kwargs[k])) for k in _SHOWN_KWARGS if k in kwargs}
    details = ", ".join(f"{k}={v}" for k, v in shown.items())
    namespace = f"{meta['namespace']}." if meta.get("namespace") else ""
    sentence = f"{namespace}{kind} on {on}" + (f" ({details})" if details else "")
    severity = str(props.get("config", {}).get("severity") or "error").lower()
    return sentence + (" (warn)" if severity == "warn" else "")


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

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetCheckSpec | None:
        """dagster-dbt's check, described from the dbt test (see `describe_test`)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        props = self.get_resource_props(manifest, unique_id)
        return spec._replace(description=spec.description or describe_test(props))

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
