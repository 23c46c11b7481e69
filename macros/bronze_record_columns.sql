{#- The source columns of a bronze table, in file order, without the load metadata that every
    bronze table adds: what a rejected row's raw record holds. The same lists as the sources
    yml (dbt's graph is not available to unit tests, so they are spelled out here once). -#}
{% macro bronze_record_columns(source_name, table_name) -%}
    {%- set columns = {
        'crm.cust_info': [
            'cst_id', 'cst_key', 'cst_firstname', 'cst_lastname',
            'cst_marital_status', 'cst_gndr', 'cst_create_date',
        ],
        'crm.prd_info': [
            'prd_id', 'prd_key', 'prd_nm', 'prd_cost', 'prd_line', 'prd_start_dt', 'prd_end_dt',
        ],
        'crm.sales_details': [
            'sls_ord_num', 'sls_prd_key', 'sls_cust_id', 'sls_order_dt', 'sls_ship_dt',
            'sls_due_dt', 'sls_sales', 'sls_quantity', 'sls_price',
        ],
        'erp.cust_az12': ['cid', 'bdate', 'gen'],
        'erp.loc_a101': ['cid', 'cntry'],
        'erp.px_cat_g1v2': ['id', 'cat', 'subcat', 'maintenance'],
        'erp.ret_ord_q1': ['ord_num', 'prd_key', 'ret_dt', 'ret_qty', 'reason'],
        'web.events': [
            'event_id', 'session_id', 'customer_id', 'event_type', 'product_key',
            'order_number', 'payment_status', 'ts', 'device', 'page_url', '_raw_line',
        ],
    } -%}
    {%- set key = source_name ~ '.' ~ table_name -%}
    {%- if key not in columns -%}
        {{ exceptions.raise_compiler_error("bronze_record_columns: unknown bronze table " ~ key) }}
    {%- endif -%}
    {{ return(columns[key]) }}
{%- endmacro %}
