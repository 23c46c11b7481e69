with

locations as (
    select * from {{ ref('base_erp__locations') }}
),

kept as (
    select * from locations
    where rejection_reason is null
),

final as (
    select
        customer_number,
        country,
        _batch_id,
        _batch_seq,
        _source_row,
    from kept
)

select * from final
