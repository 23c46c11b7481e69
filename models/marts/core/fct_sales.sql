{{
    config(
        materialized='incremental',
        unique_key='sales_key',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
-- One row per sales order line (order number, product number).
--
-- Incremental: a run only (re)writes the lines whose result can have changed since the last run:
--   1. lines of a batch not loaded yet (new lines, or lines re-sent by a later batch);
--   2. lines of orders stored as 'Store' that now have a purchase event (the web event of an
--      order can arrive in a later batch than the order itself);
--   3. lines of products that got a new version in a batch not loaded yet (the point-in-time
--      product version and its cost can change; invalid order dates use the current version).
-- Customer keys are hashes of customer_id and never change. A full rebuild gives the same rows.

with

sales_lines as (
    select * from {{ ref('int_sales_versions_joined') }}
),

order_channels as (
    select * from {{ ref('int_orders_channel_assigned') }}
),

product_versions as (
    select * from {{ ref('stg_crm__products') }}
),

{% if is_incremental() %}

loaded_batches as (
    select distinct _batch_id from {{ this }}
),

orders_now_online as (
    select order_number from {{ this }} where channel = 'Store'
    intersect
    select order_number from order_channels where channel = 'Online'
),

products_with_new_versions as (
    select distinct product_number
    from product_versions
    where _batch_id not in (select loaded_batches._batch_id from loaded_batches)
),

lines_to_load as (
    select *
    from sales_lines
    where _batch_id not in (select loaded_batches._batch_id from loaded_batches)
        or order_number in (select orders_now_online.order_number from orders_now_online)
        or product_number in (
            select products_with_new_versions.product_number from products_with_new_versions
        )
),

{% else %}

lines_to_load as (
    select * from sales_lines
),

{% endif %}

lines_with_channel as (
    select
        lines_to_load.*,
        coalesce(order_channels.channel, 'Store') as channel,
    from lines_to_load
    left join order_channels
        on lines_to_load.order_number = order_channels.order_number
),

final as (
    select
        cast({{ generate_surrogate_key(['order_number', 'product_number']) }} as varchar) as sales_key,
        cast(order_number as varchar) as order_number,
        cast({{ generate_surrogate_key(['customer_id']) }} as varchar) as customer_key,
        cast(product_key as varchar) as product_key,
        cast(order_date as date) as order_date,
        {{ date_key('order_date') }} as order_date_key,
        cast(ship_date as date) as ship_date,
        {{ date_key('ship_date') }} as ship_date_key,
        cast(due_date as date) as due_date,
        {{ date_key('due_date') }} as due_date_key,
        cast(quantity as integer) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        cast(sales_amount as decimal(18, 2)) as sales_amount,
        cast(unit_cost as decimal(18, 2)) as unit_cost,
        cast(sales_amount - quantity * unit_cost as decimal(18, 2)) as gross_margin,
        cast(channel as varchar) as channel,
        cast(_batch_id as varchar) as _batch_id,
    from lines_with_channel
)

select * from final
