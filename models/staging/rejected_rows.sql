{#- Every bronze row that silver did not keep, one row each, with a readable reason and its
    raw record. Each base model gives every bronze row a rejection_reason; the raw record is
    read back from bronze for the rejected rows only (cheap: rejects are few). -#}
{%- set bronze = bronze_tables() -%}

with

{% for t in bronze %}
{{ t.table }}_bronze as (
    select * from {{ source(t.source, t.source_table) }}
),

{{ t.table }}_checked as (
    select * from {{ ref(t.base_model) }}
),

{% endfor -%}

{% for t in bronze %}
{{ t.table }}_rejected as (
    select
        '{{ t.table }}' as source_table,
        checked._batch_id as batch_id,
        checked._source_row as source_row,
        checked.rejection_reason as reason,
        {{ to_json_record(t.columns, 'bronze') }}
            as raw_record,
    from {{ t.table }}_checked as checked
    inner join {{ t.table }}_bronze as bronze
        on checked._batch_id = bronze._batch_id
        and checked._source_row = bronze._source_row
    where checked.rejection_reason is not null
),

{% endfor -%}

final as (
{%- for t in bronze %}
    select * from {{ t.table }}_rejected
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
)

select * from final
