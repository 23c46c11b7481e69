-- One row per order number: the channel the order was placed through.
-- An order with at least one `purchase` web event carrying its order number was placed online;
-- every other order (no web events at all, or an extract without the web file) was placed in a store.
-- Purchase events are read from fct_web_events (all valid, deduplicated events, as a table)
-- rather than from the silver view, so that an incremental run parses the raw events once.

with

sales as (
    select * from {{ ref('stg_crm__sales') }}
),

web_events as (
    select * from {{ ref('fct_web_events') }}
),

orders as (
    select distinct order_number
    from sales
),

purchased_online as (
    select distinct order_number
    from web_events
    where event_type = 'purchase'
        and order_number is not null
),

final as (
    select
        orders.order_number,
        case
            when purchased_online.order_number is not null then 'Online'
            else 'Store'
        end as channel,
    from orders
    left join purchased_online
        on orders.order_number = purchased_online.order_number
)

select * from final
