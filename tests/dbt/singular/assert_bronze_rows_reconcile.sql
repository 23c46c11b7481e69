{#- Nothing is lost: every bronze row (table, batch, line) is accounted for exactly once,
    either kept by its stg_* model or listed in rejected_rows. Returns one row per bronze row
    that is missing, duplicated, or accounted for without existing in bronze. -#}
{%- set bronze = bronze_tables() -%}

with

rejected_rows as (
    select * from {{ ref('rejected_rows') }}
),

bronze_rows as (
{%- for t in bronze %}
    select '{{ t.table }}' as source_table, _batch_id as batch_id, _source_row as source_row
    from {{ source(t.source, t.source_table) }}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
),

kept_rows as (
{%- for t in bronze %}
    select '{{ t.table }}' as source_table, _batch_id as batch_id, _source_row as source_row
    from {{ ref(t.staging_model) }}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
),

accounted_rows as (
    select * from kept_rows
    union all
    select source_table, batch_id, source_row from rejected_rows
),

bronze_counts as (
    select source_table, batch_id, source_row, count(*) as bronze_count,
    from bronze_rows
    group by all
),

accounted_counts as (
    select source_table, batch_id, source_row, count(*) as accounted_count,
    from accounted_rows
    group by all
),

compared as (
    select
        source_table,
        batch_id,
        source_row,
        coalesce(bronze_counts.bronze_count, 0) as bronze_count,
        coalesce(accounted_counts.accounted_count, 0) as accounted_count,
    from bronze_counts
    full outer join accounted_counts using (source_table, batch_id, source_row)
),

final as (
    select * from compared
    where bronze_count <> 1 or accounted_count <> 1
)

select * from final
