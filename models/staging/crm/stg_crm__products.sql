with

products as (
    select * from {{ ref('base_crm__products') }}
),

kept as (
    select * from products
    where rejection_reason is null
),

final as (
    select
        product_id,
        product_number,
        category_id,
        product_name,
        cost,
        product_line,
        valid_from,
        valid_to,
        is_current,
        _batch_id,
        _batch_seq,
        _source_row,
    from kept
)

select * from final
