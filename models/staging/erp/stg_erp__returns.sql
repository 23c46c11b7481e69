with

returns as (
    select * from {{ ref('base_erp__returns') }}
),

kept as (
    select * from returns
    where rejection_reason is null
),

final as (
    select
        order_number,
        product_number,
        return_date,
        return_quantity,
        return_reason,
        _batch_id,
        _batch_seq,
        _source_row,
    from kept
)

select * from final
