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


{#- on-run-start (dbt_project.yml): before any unit test or model reads bronze, stop `dbt build`
    / `run` / `test` with one line when the warehouse holds nothing ingested (a new or empty
    file) or was ingested by an older version (bronze without `_batch_seq`); otherwise unit
    tests fail first with "Not able to get columns ... relation doesn't exist". Only when the
    selection holds a model that reads a bronze source (a base model): a selection downstream of
    bronze, such as `--select path:models/marts/segmentation`, needs no bronze. -#}
{% macro require_ingested_warehouse() -%}
    {%- set reads_bronze = [] -%}
    {%- if execute -%}
        {%- for unique_id in selected_resources if unique_id.startswith('model.') -%}
            {%- set node = graph.nodes.get(unique_id) -%}
            {%- for parent in (node.depends_on.nodes if node else []) -%}
                {#- bronze sources only: Spark's Parquet and the MongoDB tables are sources too -#}
                {%- if parent.startswith('source.') and graph.sources[parent].schema == 'bronze' -%}
                    {%- do reads_bronze.append(unique_id) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if execute and reads_bronze and flags.WHICH in ['build', 'run', 'test'] -%}
        {%- set counts = run_query(
            "select count(distinct table_name), count(*) filter (column_name = '_batch_seq')"
            ~ " from information_schema.columns"
            ~ " where table_schema = 'bronze' and table_catalog = current_database()"
        ).rows[0] -%}
        {%- if counts[0] == 0 -%}
            {{- exceptions.raise_compiler_error(
                'the warehouse ' ~ target.path ~ ' holds nothing ingested yet (no bronze tables):'
                ~ ' run `retail ingest --raw DIR` (or `retail run`) first') -}}
        {%- elif counts[1] == 0 -%}
            {{- exceptions.raise_compiler_error(
                'the warehouse ' ~ target.path ~ ' was ingested by an older version of this'
                ~ ' project (bronze has no _batch_seq): start a new warehouse with'
                ~ ' `retail ingest --new --raw DIR` or another RETAIL_DUCKDB_PATH') -}}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
