{#- A scalar SQL expression: the first batch, as its `_batch_seq` (batch order = order of first
    ingestion, never the spelling of batch ids), whose loads in `relation` differ from those in
    this incremental model, where a load is a (_batch_seq, _ingested_at) pair: a batch ingested since the last run, ingested again, or removed. NULL when nothing
    changed. A batch's rows can change the duplicate status of rows in later batches, so
    incremental models rebuild every batch from this one on (in the daily case only the new
    batch). -#}
{% macro first_changed_batch(relation) -%}
    (
        with
        relation_loads as (select distinct _batch_seq, _ingested_at from {{ relation }}),
        built_loads as (select distinct _batch_seq, _ingested_at from {{ this }}),
        changed_loads as (
            (select * from relation_loads except select * from built_loads)
            union all
            (select * from built_loads except select * from relation_loads)
        )
        select min(_batch_seq) from changed_loads
    )
{%- endmacro %}
