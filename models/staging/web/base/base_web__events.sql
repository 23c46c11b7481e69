{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['_batch_id', '_source_row'],
        on_schema_change='fail',
        post_hook="{{ delete_unloaded_batches(source('web', 'events')) }}",
    )
}}
{%- do require_bronze(source('web', 'events')) -%}
{#- Every bronze events.jsonl line, typed, and the reason it is rejected (NULL = kept):
    malformed JSON, no event_id, an unknown event type, or a copy of an event already kept.

    Incremental: a run types only the batches from the first one that changed in bronze (see
    reload_from_batch), and ranks their events against the copies already built from earlier
    batches. The first copy wins, so a later batch never changes an earlier row. Changing the
    seed web_event_types needs `dbt build --full-refresh`. -#}
{%- set reload_from = reload_from_batch(source('web', 'events')) if is_incremental() else none -%}
{%- set duplicate_reason = 'duplicate event: an earlier line with the same event_id was kept' -%}

with

source as (
    select * from {{ source('web', 'events') }}
    {%- if is_incremental() %}
    where {{ batch_filter(reload_from) }}
    {%- endif %}
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
        -- a line too long to keep whole: ingest stores a U+0001 marker with its length
        -- (retail/ingest/jsonl_loader.py) and its first 64 KiB
        case
            when event_id is null and starts_with(_raw_line, chr(1) || 'truncated: line of ')
                then regexp_extract(_raw_line, 'truncated: line of (\d+) bytes', 1)
        end as truncated_bytes,
        _batch_id,
        _batch_seq,
        _source_row,
        _ingested_at,
    from source
),

validated as (
    select
        typed.*,
        case
            when truncated_bytes is not null
                then 'line of ' || truncated_bytes || ' bytes exceeds the 1 MiB limit of an'
                    || ' event line (bronze keeps its first 64 KiB)'
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

checked as (
    select * exclude (is_valid_json, truncated_bytes) from validated
),

{% if is_incremental() %}

built_copies as (
    -- the valid copies, built from earlier batches, of the events being loaded
    {{ valid_built_copies(reload_from, duplicate_reason) }}
        and event_id in (select event_id from checked where invalid_reason is null)
),

competing as (
    select * from checked
    union all by name
    select * from built_copies
),

{% else %}

competing as (
    select * from checked
),

{% endif %}

ranked as (
    -- events never change: the first valid copy (earliest batch, then line) is kept, so
    -- a later batch that repeats an event leaves the kept row as it was
    select
        competing.*,
        row_number() over (
            partition by event_id, invalid_reason is null
            order by _batch_seq, _source_row
        ) as copy_rank,
    from competing
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
        case
            when invalid_reason is not null then invalid_reason
            when copy_rank > 1 then '{{ duplicate_reason }}'
        end as rejection_reason,
    from ranked
)

select * from final
