{#- Nothing is lost: every bronze row (table, batch, line) is accounted for exactly once,
    either kept by its stg_* model or listed in rejected_rows. Returns one row per bronze row
    that is missing, duplicated, or accounted for without existing in bronze. -#}
{%- set bronze_tables = {
    'crm_cust_info': (source('crm', 'cust_info'), ref('stg_crm__customers')),
    'crm_prd_info': (source('crm', 'prd_info'), ref('stg_crm__products')),
    'crm_sales_details': (source('crm', 'sales_details'), ref('stg_crm__sales')),
    'erp_cust_az12': (source('erp', 'cust_az12'), ref('stg_erp__customers')),
    'erp_loc_a101': (source('erp', 'loc_a101'), ref('stg_erp__locations')),
    'erp_px_cat_g1v2': (source('erp', 'px_cat_g1v2'), ref('stg_erp__product_categories')),
    'erp_ret_ord_q1': (source('erp', 'ret_ord_q1'), ref('stg_erp__returns')),
    'web_events': (source('web', 'events'), ref('stg_web__events')),
} -%}

with

rejected_rows as (
    select * from {{ ref('rejected_rows') }}
),

bronze_rows as (
{%- for table_name, relations in bronze_tables.items() %}
    select '{{ table_name }}' as source_table, _batch_id as batch_id, _source_row as source_row
    from {{ relations[0] }}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
),

kept_rows as (
{%- for table_name, relations in bronze_tables.items() %}
    select '{{ table_name }}' as source_table, _batch_id as batch_id, _source_row as source_row
    from {{ relations[1] }}
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
