{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="{{ delete_unloaded_batches(ref('stg_web__events')) }}",
    )
}}
-- One row per valid, deduplicated web event (event_id); empty when the extract has no web file.
-- product_key is the product's current version (an event has no order date to pin a version).
-- event_date_key is the event's calendar day in UTC.
--
-- Incremental (delete+insert on event_id): a run rewrites
--   1. the events of the batches from the first one whose load changed (first_changed_batch: a
--      batch not loaded yet, one ingested again, one removed), and the events stored from those
--      batches (their first copy may now be in another batch); the post-hook deletes events
--      whose load is gone;
--   2. the events whose stored product version is no longer the current one (a new version
--      arrived), or that had no product version yet.
-- Customer keys are hashes of customer_id: a full rebuild gives the same rows.

with

events as (
    select * from {{ ref('stg_web__events') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

current_products as (
    select product_number, product_key
    from products
    where is_current
),

{% if is_incremental() %}
{%- do require_built_loads() %}

reload_point as (
    select {{ first_changed_batch(ref('stg_web__events')) }} as first_batch
),

events_with_stale_versions as (
    select loaded_events.event_id
    from {{ this }} as loaded_events
    left join products as stored_version
        on loaded_events.product_key = stored_version.product_key
    where loaded_events.product_key is not null
        and (stored_version.product_key is null or not stored_version.is_current)
),

events_to_load as (
    select *
    from events
    where _batch_seq >= (select reload_point.first_batch from reload_point)
        or event_id in (
            select event_id from {{ this }}
            where _batch_seq >= (select reload_point.first_batch from reload_point)
        )
        or event_id in (
            select events_with_stale_versions.event_id from events_with_stale_versions
        )
        or (
            product_number is not null
            and event_id in (select event_id from {{ this }} where product_key is null)
        )
),

{% else %}

events_to_load as (
    select * from events
),

{% endif %}

events_joined as (
    select
        events_to_load.*,
        current_products.product_key,
    from events_to_load
    left join current_products
        on events_to_load.product_number = current_products.product_number
),

final as (
    select
        cast(event_id as varchar) as event_id,
        cast(session_id as varchar) as session_id,
        cast(
            case when customer_id is not null then {{ generate_surrogate_key(['customer_id']) }} end
            as varchar
        ) as customer_key,
        cast(product_key as varchar) as product_key,
        cast(event_type as varchar) as event_type,
        cast(order_number as varchar) as order_number,
        cast(payment_status as varchar) as payment_status,
        cast(event_at as timestamp with time zone) as event_at,
        {{ date_key("cast(timezone('UTC', event_at) as date)") }} as event_date_key,
        cast(device as varchar) as device,
        cast(page_url as varchar) as page_url,
        cast(_batch_id as varchar) as _batch_id,
        cast(_batch_seq as bigint) as _batch_seq,
        cast(_ingested_at as timestamp with time zone) as _ingested_at,
    from events_joined
)

select * from final
