{#- Every bronze row that silver did not keep, one row each, with a readable reason.
    One entry per bronze table: its base model gives every row a rejection_reason. -#}
{%- set base_models = {
    'crm_cust_info': 'base_crm__customers',
    'crm_prd_info': 'base_crm__products',
    'crm_sales_details': 'base_crm__sales',
    'erp_cust_az12': 'base_erp__customers',
    'erp_loc_a101': 'base_erp__locations',
    'erp_px_cat_g1v2': 'base_erp__product_categories',
    'erp_ret_ord_q1': 'base_erp__returns',
    'web_events': 'base_web__events',
} -%}

with

{% for source_table, base_model in base_models.items() %}
{{ source_table }} as (
    select * from {{ ref(base_model) }}
),

{% endfor %}
unioned as (
{%- for source_table in base_models %}
    select
        '{{ source_table }}' as source_table,
        _batch_id as batch_id,
        _source_row as source_row,
        rejection_reason as reason,
        raw_record,
    from {{ source_table }}
    where rejection_reason is not null
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
),

final as (
    select * from unioned
)

select * from final
