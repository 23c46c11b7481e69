{#- Post-hook of the incremental silver base models: delete the rows whose batch load is no
    longer in bronze (a batch ingested again with fewer lines leaves rows of its earlier load
    behind; a batch removed from bronze leaves all of its rows). Compares (batch, _ingested_at)
    pairs, so it reads two columns and deletes nothing in the daily case. -#}
{% macro delete_unloaded_batches(source_relation) -%}
    delete from {{ this }} as built
    where not exists (
        select 1
        from (select distinct _batch_id, _ingested_at from {{ source_relation }}) as loads
        where loads._batch_id = built._batch_id
            and loads._ingested_at = built._ingested_at
    )
{%- endmacro %}
