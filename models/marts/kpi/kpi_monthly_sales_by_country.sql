-- One row per (order month, customer country). Lines with an invalid order date have no month
-- and are left out. MoM growth compares with the previous calendar month of the same country.

with

sales as (
    select * from {{ ref('fct_sales') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

monthly as (
    select
        cast(date_trunc('month', sales.order_date) as date) as order_month,
        customers.country,
        count(distinct sales.order_number) as orders,
        cast(sum(sales.quantity) as bigint) as units,
        sum(sales.sales_amount) as revenue,
    from sales
    inner join customers
        on sales.customer_key = customers.customer_key
    where sales.order_date is not null
    group by 1, 2
),

final as (
    select
        order_month,
        country,
        orders,
        units,
        revenue,
        {{ mom_growth('revenue', 'order_month', ['country']) }},
    from monthly
)

select * from final
