{#- The first batch id, in batch-id order, whose bronze rows differ from the rows this
    incremental model was built from: a batch ingested since the last run, one ingested again
    (a new `_ingested_at`), or one no longer in bronze. A batch's copy of a row can change the
    duplicate status of a copy in a later batch, so the model rebuilds every batch from this
    one on; in the daily case that is only the new batch. None when nothing changed. -#}
{% macro reload_from_batch(source_relation) -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set built_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if '_ingested_at' not in built_columns -%}
        {{- exceptions.raise_compiler_error(
            this ~ ' was built by an older version of this project (it has no _ingested_at): '
            ~ 'rebuild it once with `dbt build --full-refresh`') -}}
    {%- endif -%}
    {%- set query -%}
        with
        bronze_loads as (select distinct _batch_id, _ingested_at from {{ source_relation }}),
        built_loads as (select distinct _batch_id, _ingested_at from {{ this }}),
        changed_loads as (
            (select * from bronze_loads except select * from built_loads)
            union all
            (select * from built_loads except select * from bronze_loads)
        )
        select min(_batch_id) from changed_loads
    {%- endset -%}
    {{- return(run_query(query).columns[0].values()[0]) -}}
{%- endmacro %}


{#- A filter on `_batch_id` against the batch from `reload_from_batch`: the batches to rebuild
    (`batches='reloaded'`) or the ones kept as built (`batches='built'`). Nothing when no batch
    changed, so an unchanged warehouse rebuilds nothing. -#}
{% macro batch_filter(reload_from, batches='reloaded') -%}
    {%- if reload_from is none -%}
        {%- if batches == 'reloaded' %}false{% else %}true{% endif -%}
    {%- else -%}
        _batch_id {{ '>=' if batches == 'reloaded' else '<' }} '{{ reload_from | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}
