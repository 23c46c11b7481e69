-- One row per (order month, channel: Online / Store). Lines with an invalid order date have
-- no month and are left out. MoM growth compares with the previous calendar month of the
-- same channel; revenue_share is the channel's share of the month's revenue.

with

sales as (
    select * from {{ ref('fct_sales') }}
),

monthly as (
    select
        cast(date_trunc('month', order_date) as date) as order_month,
        channel,
        count(distinct order_number) as orders,
        sum(sales_amount) as revenue,
    from sales
    where order_date is not null
    group by 1, 2
),

final as (
    select
        order_month,
        channel,
        orders,
        revenue,
        round(revenue / sum(revenue) over (partition by order_month), 4) as revenue_share,
        {{ mom_growth('revenue', 'order_month', ['channel']) }},
    from monthly
)

select * from final
