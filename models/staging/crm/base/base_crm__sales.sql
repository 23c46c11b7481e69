{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['_batch_id', '_source_row'],
        on_schema_change='fail',
        post_hook="{{ delete_unloaded_batches(source('crm', 'sales_details')) }}",
    )
}}
{%- do require_bronze(source('crm', 'sales_details')) -%}
{#- Every bronze sales_details line, typed, with dates parsed, amounts repaired and the
    reason it is rejected (NULL = kept). A bad date never rejects a line: it becomes NULL.

    Incremental: a run types only the batches from the first one that changed in bronze (see
    reload_from_batch). The latest copy of an order line wins, so the copies built from earlier
    batches that compete with a loaded line, or that lost to a copy that may be gone, are
    ranked again with it. -#}
{%- set reload_from = reload_from_batch(source('crm', 'sales_details')) if is_incremental() else none -%}
{%- set duplicate_reason = 'duplicate order line: the same order and product was sent again; '
    ~ 'the latest copy was kept' -%}

with

source as (
    select * from {{ source('crm', 'sales_details') }}
    {%- if is_incremental() %}
    where {{ batch_filter(reload_from) }}
    {%- endif %}
),

typed as (
    select
        {{ clean_text('sls_ord_num') }} as order_number,
        {{ clean_text('sls_prd_key') }} as product_number,
        {{ parse_integer('sls_cust_id') }} as customer_id,
        {{ parse_yyyymmdd_date('sls_order_dt') }} as order_date,
        {{ parse_yyyymmdd_date('sls_ship_dt') }} as ship_date,
        {{ parse_yyyymmdd_date('sls_due_dt') }} as due_date,
        {{ parse_integer('sls_quantity') }} as quantity,
        try_cast({{ clean_text('sls_price') }} as decimal(18, 2)) as source_price,
        try_cast({{ clean_text('sls_sales') }} as decimal(18, 2)) as source_sales,
        -- the raw texts, so that a reject can tell a missing value from one that is not a number
        left({{ clean_text('sls_cust_id') }}, 40) as customer_text,
        left({{ clean_text('sls_quantity') }}, 40) as quantity_text,
        left({{ clean_text('sls_price') }}, 40) as price_text,
        left({{ clean_text('sls_sales') }}, 40) as sales_text,
        _batch_id,
        _batch_seq,
        _source_row,
        _ingested_at,
    from source
),

priced as (
    -- price first: |price| when given and non-zero, else sales / quantity
    select
        typed.*,
        cast(
            case
                when source_price is not null and source_price <> 0 then abs(source_price)
                else source_sales / nullif(quantity, 0)
            end
            as decimal(18, 2)
        ) as unit_price,
    from typed
),

amounted as (
    -- then sales, with the repaired price: quantity x price when missing, <= 0 or inconsistent
    select
        priced.*,
        cast(
            case
                when source_sales is null
                    or source_sales <= 0
                    or source_sales <> quantity * unit_price
                    then quantity * unit_price
                else source_sales
            end
            as decimal(18, 2)
        ) as sales_amount,
    from priced
),

validated as (
    select
        amounted.*,
        case
            when order_number is null
                then 'order line without an order number (sls_ord_num)'
            when product_number is null
                then 'order line without a product number (sls_prd_key)'
            when customer_id is null and customer_text is not null
                then 'order line without a valid customer id: sls_cust_id '''
                    || customer_text || ''' is not a whole number'
            when customer_id is null
                then 'order line without a valid customer id (sls_cust_id)'
            when quantity is null and quantity_text is not null
                then 'order line without a positive quantity: sls_quantity '''
                    || quantity_text || ''' is not a whole number'
            when quantity is null or quantity <= 0
                then 'order line without a positive quantity (sls_quantity)'
            when unit_price is null or unit_price <= 0
                then 'order line whose price cannot be derived: '
                    || case
                        when price_text is null then 'no price (sls_price)'
                        when source_price is null
                            then 'sls_price ''' || price_text || ''' is not a number'
                        else 'sls_price is 0'
                    end
                    || ' and '
                    || case
                        when sales_text is null then 'no sales (sls_sales)'
                        when source_sales is null
                            then 'sls_sales ''' || sales_text || ''' is not a number'
                        when source_sales <= 0
                            then 'sls_sales ''' || sales_text || ''' is not positive'
                        else 'sls_sales / sls_quantity rounds to 0'
                    end
        end as invalid_reason,
    from amounted
),

checked as (
    select * exclude (
        source_price, source_sales, customer_text, quantity_text, price_text, sales_text
    )
    from validated
),

{% if is_incremental() %}

built_copies as (
    -- the valid copies built from earlier batches (kept, or rejected as duplicates)
    {{ valid_built_copies(reload_from, duplicate_reason) }}
),

keys_to_rank as (
    -- lines being loaded, and lines whose latest copy may be gone with a reloaded batch
    select order_number, product_number from checked where invalid_reason is null
    union
    select order_number, product_number from {{ this }}
    where {{ batch_filter(reload_from, 'built') }}
        and rejection_reason = '{{ duplicate_reason }}'
),

competing as (
    select * from checked
    union all by name
    select built_copies.*
    from built_copies
    semi join keys_to_rank using (order_number, product_number)
),

{% else %}

competing as (
    select * from checked
),

{% endif %}

ranked as (
    -- an order line re-sent in a later batch replaces the earlier copy; only valid copies
    -- compete, so an invalid re-send never hides a valid line
    select
        competing.*,
        row_number() over (
            partition by order_number, product_number, invalid_reason is null
            order by _batch_seq desc, _source_row desc
        ) as copy_rank,
    from competing
),

final as (
    select
        order_number,
        product_number,
        customer_id,
        order_date,
        ship_date,
        due_date,
        quantity,
        unit_price,
        sales_amount,
        _batch_id,
        _batch_seq,
        _source_row,
        _ingested_at,
        case
            when invalid_reason is not null then invalid_reason
            when copy_rank > 1 then '{{ duplicate_reason }}'
        end as rejection_reason,
    from ranked
)

select * from final
