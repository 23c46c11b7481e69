with

events as (
    select * from {{ ref('base_web__events') }}
),

kept as (
    select * from events
    where rejection_reason is null
),

final as (
    select
        event_id,
        session_id,
        customer_id,
        event_type,
        product_number,
        order_number,
        payment_status,
        event_at,
        device,
        page_url,
        _batch_id,
        _batch_seq,
        _source_row,
        _ingested_at,
    from kept
)

select * from final
