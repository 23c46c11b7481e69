{#- Post-hook of the incremental models: delete the rows whose load (_batch_id, _ingested_at)
    is no longer in `relation`, the model's input. Rows of an earlier load of a batch ingested
    again stay behind when their line is gone from the new load (rows still there were replaced
    by the incremental run); a batch removed from bronze leaves all of its rows. Reads two
    columns and deletes nothing in the daily case. -#}
{% macro delete_unloaded_batches(relation) -%}
    delete from {{ this }} as built
    where not exists (
        select 1
        from (select distinct _batch_id, _ingested_at from {{ relation }}) as loads
        where loads._batch_id = built._batch_id
            and loads._ingested_at = built._ingested_at
    )
{%- endmacro %}
