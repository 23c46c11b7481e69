with

customers as (
    select * from {{ ref('base_erp__customers') }}
),

kept as (
    select * from customers
    where rejection_reason is null
),

final as (
    select
        customer_number,
        birthdate,
        gender,
        _batch_id,
        _batch_seq,
        _source_row,
    from kept
)

select * from final
