{#- Stops a run with a one-line message when a base model's bronze table is missing (nothing
    was ingested into this warehouse yet, e.g. a first ingest was interrupted) or predates
    `_batch_seq` (a warehouse ingested by an older version of this project), instead of DuckDB's
    "table does not exist" / "column not found". (A unit test reads fixtures:
    nothing to check.) -#}
{% macro require_bronze(relation) -%}
    {%- if execute and model.resource_type != 'unit_test' -%}
        {%- set found = load_relation(relation) -%}
        {%- if found is none -%}
            {{- exceptions.raise_compiler_error(
                relation ~ ' does not exist: nothing has been ingested into this warehouse yet;'
                ~ ' run `retail ingest --raw DIR` (or `retail run`) first') -}}
        {%- endif -%}
        {%- set columns = adapter.get_columns_in_relation(found) | map(attribute='name') | list -%}
        {%- if '_batch_seq' not in columns -%}
            {{- exceptions.raise_compiler_error(
                relation ~ ' was ingested by an older version of this project (it has no'
                ~ ' _batch_seq): start a new warehouse with `retail ingest --new --raw DIR`'
                ~ ' or another RETAIL_DUCKDB_PATH') -}}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
