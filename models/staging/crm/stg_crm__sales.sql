with

sales as (
    select * from {{ ref('base_crm__sales') }}
),

kept as (
    select * from sales
    where rejection_reason is null
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
    from kept
)

select * from final
