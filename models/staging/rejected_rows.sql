{#- Every bronze row that silver did not keep, one row each, with a readable reason and its
    raw record. Each base model gives every bronze row a rejection_reason; the raw record is
    read back from bronze for the rejected rows only (cheap: rejects are few). -#}
{%- set base_models = {
    'crm_cust_info': ('crm', 'cust_info', 'base_crm__customers'),
    'crm_prd_info': ('crm', 'prd_info', 'base_crm__products'),
    'crm_sales_details': ('crm', 'sales_details', 'base_crm__sales'),
    'erp_cust_az12': ('erp', 'cust_az12', 'base_erp__customers'),
    'erp_loc_a101': ('erp', 'loc_a101', 'base_erp__locations'),
    'erp_px_cat_g1v2': ('erp', 'px_cat_g1v2', 'base_erp__product_categories'),
    'erp_ret_ord_q1': ('erp', 'ret_ord_q1', 'base_erp__returns'),
    'web_events': ('web', 'events', 'base_web__events'),
} -%}

with

{% for table_name, (source_name, source_table, base_model) in base_models.items() %}
{{ table_name }}_bronze as (
    select * from {{ source(source_name, source_table) }}
),

{{ table_name }}_checked as (
    select * from {{ ref(base_model) }}
),

{% endfor -%}

{% for table_name, (source_name, source_table, base_model) in base_models.items() %}
{{ table_name }}_rejected as (
    select
        '{{ table_name }}' as source_table,
        checked._batch_id as batch_id,
        checked._source_row as source_row,
        checked.rejection_reason as reason,
        {{ to_json_record(bronze_record_columns(source_name, source_table), 'bronze') }}
            as raw_record,
    from {{ table_name }}_checked as checked
    inner join {{ table_name }}_bronze as bronze
        on checked._batch_id = bronze._batch_id
        and checked._source_row = bronze._source_row
    where checked.rejection_reason is not null
),

{% endfor -%}

final as (
{%- for table_name in base_models %}
    select * from {{ table_name }}_rejected
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
)

select * from final
