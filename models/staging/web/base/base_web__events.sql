{#- Every bronze events.jsonl line, typed, and the reason it is rejected (NULL = kept):
    malformed JSON, no event_id, an unknown event type, or a copy of an event already kept. -#}
with

source as (
    select * from {{ source('web', 'events') }}
),

web_event_types as (
    select * from {{ ref('web_event_types') }}
),

typed as (
    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('session_id') }} as session_id,
        {{ parse_integer('customer_id') }} as customer_id,
        lower({{ clean_text('event_type') }}) as event_type,
        {{ clean_text('product_key') }} as product_number,
        {{ clean_text('order_number') }} as order_number,
        lower({{ clean_text('payment_status') }}) as payment_status,
        try_cast({{ clean_text('ts') }} as timestamptz) as event_at,
        {{ clean_text('device') }} as device,
        {{ clean_text('page_url') }} as page_url,
        -- bronze extracts fields only from valid JSON, so parse the line only when it has
        -- no event_id (cheap: parsing every line would dominate the model)
        case
            when event_id is not null then true
            else coalesce(json_valid(_raw_line), false)
        end as is_valid_json,
        _batch_id,
        _source_row,
    from source
),

validated as (
    select
        typed.*,
        case
            when not is_valid_json
                then 'malformed JSON line'
            when typed.event_id is null
                then 'event without an event_id'
            when web_event_types.event_type is null
                then 'unknown event type'
        end as invalid_reason,
    from typed
    left join web_event_types
        on typed.event_type = web_event_types.event_type
),

ranked as (
    -- events never change: the first valid copy (earliest batch, then line) is kept, so
    -- a later batch that repeats an event leaves the kept row as it was
    select
        validated.*,
        row_number() over (
            partition by event_id, invalid_reason is null
            order by _batch_id, _source_row
        ) as copy_rank,
    from validated
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
        _source_row,
        case
            when invalid_reason is not null then invalid_reason
            when copy_rank > 1
                then 'duplicate event: an earlier line with the same event_id was kept'
        end as rejection_reason,
    from ranked
)

select * from final
