{#- The bronze contract as dbt sees it, one entry per bronze table in the order of
    `retail/ingest/layout.py` LAYOUT (the one description of the raw extract): the table, its
    dbt source, its source columns in file order without the load metadata (what a rejected
    row's raw record holds), the base model that gives each row a rejection_reason and the
    staging model that keeps the rows it accepts. dbt cannot import Python, so the list is
    spelled out here once and tests/unit/test_contracts.py holds it equal to LAYOUT (and the
    sources yml equal to both). -#}
{% macro bronze_tables() -%}
    {%- set tables = [
        {
            'table': 'crm_cust_info', 'source': 'crm', 'source_table': 'cust_info',
            'base_model': 'base_crm__customers', 'staging_model': 'stg_crm__customers',
            'columns': [
                'cst_id', 'cst_key', 'cst_firstname', 'cst_lastname',
                'cst_marital_status', 'cst_gndr', 'cst_create_date',
            ],
        },
        {
            'table': 'crm_prd_info', 'source': 'crm', 'source_table': 'prd_info',
            'base_model': 'base_crm__products', 'staging_model': 'stg_crm__products',
            'columns': [
                'prd_id', 'prd_key', 'prd_nm', 'prd_cost', 'prd_line', 'prd_start_dt',
                'prd_end_dt',
            ],
        },
        {
            'table': 'crm_sales_details', 'source': 'crm', 'source_table': 'sales_details',
            'base_model': 'base_crm__sales', 'staging_model': 'stg_crm__sales',
            'columns': [
                'sls_ord_num', 'sls_prd_key', 'sls_cust_id', 'sls_order_dt', 'sls_ship_dt',
                'sls_due_dt', 'sls_sales', 'sls_quantity', 'sls_price',
            ],
        },
        {
            'table': 'erp_cust_az12', 'source': 'erp', 'source_table': 'cust_az12',
            'base_model': 'base_erp__customers', 'staging_model': 'stg_erp__customers',
            'columns': ['cid', 'bdate', 'gen'],
        },
        {
            'table': 'erp_loc_a101', 'source': 'erp', 'source_table': 'loc_a101',
            'base_model': 'base_erp__locations', 'staging_model': 'stg_erp__locations',
            'columns': ['cid', 'cntry'],
        },
        {
            'table': 'erp_px_cat_g1v2', 'source': 'erp', 'source_table': 'px_cat_g1v2',
            'base_model': 'base_erp__product_categories',
            'staging_model': 'stg_erp__product_categories',
            'columns': ['id', 'cat', 'subcat', 'maintenance'],
        },
        {
            'table': 'erp_ret_ord_q1', 'source': 'erp', 'source_table': 'ret_ord_q1',
            'base_model': 'base_erp__returns', 'staging_model': 'stg_erp__returns',
            'columns': ['ord_num', 'prd_key', 'ret_dt', 'ret_qty', 'reason'],
        },
        {
            'table': 'web_events', 'source': 'web', 'source_table': 'events',
            'base_model': 'base_web__events', 'staging_model': 'stg_web__events',
            'columns': [
                'event_id', 'session_id', 'customer_id', 'event_type', 'product_key',
                'order_number', 'payment_status', 'ts', 'device', 'page_url', '_raw_line',
            ],
        },
    ] -%}
    {{ return(tables) }}
{%- endmacro %}
