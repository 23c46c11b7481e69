-- One row per order date. Lines whose order date is invalid are grouped under the unknown
-- day (order_date_key -1, order_date NULL) so that the daily figures add up to the totals.

with

sales as (
    select * from {{ ref('fct_sales') }}
),

daily as (
    select
        order_date_key,
        order_date,
        count(distinct order_number) as orders,
        count(*) as order_lines,
        cast(sum(quantity) as bigint) as units,
        sum(sales_amount) as revenue,
    from sales
    group by order_date_key, order_date
),

final as (
    select
        order_date_key,
        order_date,
        orders,
        order_lines,
        units,
        revenue,
        -- average order value: revenue per distinct order of the day
        cast(round(revenue / orders, 2) as decimal(18, 2)) as average_order_value,
    from daily
)

select * from final
