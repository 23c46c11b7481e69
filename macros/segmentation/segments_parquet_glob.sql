{#- Where Spark's customer segments Parquet lives, as a glob over its part files.
    RETAIL_SEGMENTS_DIR is set by Settings.to_env() (retail/settings.py), as a variable or (Dagster's
    dbt steps) as a dbt var of the same name, which wins; when dbt runs on its own, the default
    mirrors Settings.segments_dir: <warehouse folder>/segmentation/customer_segments. -#}
{% macro segments_parquet_glob() -%}
    {%- set warehouse_path = var('RETAIL_DUCKDB_PATH', env_var('RETAIL_DUCKDB_PATH', 'warehouse/retail.duckdb')) -%}
    {%- set warehouse_dir = warehouse_path.rsplit('/', 1)[0] if '/' in warehouse_path else '.' -%}
    {%- set default_dir = warehouse_dir ~ '/segmentation/customer_segments' -%}
    {{- return(var('RETAIL_SEGMENTS_DIR', env_var('RETAIL_SEGMENTS_DIR', default_dir)).rstrip('/') ~ '/*.parquet') -}}
{%- endmacro %}
