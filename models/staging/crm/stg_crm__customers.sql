with

customers as (
    select * from {{ ref('base_crm__customers') }}
),

kept as (
    select * from customers
    where rejection_reason is null
),

final as (
    select
        customer_id,
        customer_number,
        first_name,
        last_name,
        marital_status,
        gender,
        create_date,
        _batch_id,
        _batch_seq,
        _source_row,
    from kept
)

select * from final
