{#- Where Spark's customer segments Parquet lives, as a glob over its part files. The one home
    of the folder is the source `segmentation.customer_segments_parquet`
    (models/marts/segmentation/_segmentation__sources.yml): RETAIL_SEGMENTS_DIR as a dbt var
    (Dagster's dbt steps) or a variable (Settings.to_env()), by default the mirror of
    Settings.segments_dir, <warehouse folder>/segmentation/customer_segments. Empty while dbt
    only parses (the graph is not built yet; nothing reads files then). -#}
{% macro segments_parquet_glob() -%}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set node = graph.sources['source.retail.segmentation.customer_segments_parquet'] -%}
    {{- return(node.meta.segments_glob_sql | replace("''", "'")) -}}
{%- endmacro %}
