{#- Stops an incremental run with a clear message when the built table predates the
    `_ingested_at` or `_batch_seq` column that incremental loading compares (a warehouse built by an older
    version of this project): one `dbt build --full-refresh` fixes it. Call it from a model
    before it reads `_ingested_at` from {{ this }}. -#}
{% macro require_built_loads() -%}
    {#- (in a unit test `this` is the name of its fixture, a string: nothing to check) -#}
    {%- if execute and is_incremental() and this is not string -%}
        {%- set built = load_relation(this) -%}
        {%- set columns = adapter.get_columns_in_relation(built) | map(attribute='name') | list
            if built is not none else [] -%}
        {%- for needed in ['_ingested_at', '_batch_seq'] if columns and needed not in columns -%}
            {{- exceptions.raise_compiler_error(
                this ~ ' was built by an older version of this project (it has no ' ~ needed
                ~ '): rebuild it once with `dbt build --full-refresh`') -}}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
