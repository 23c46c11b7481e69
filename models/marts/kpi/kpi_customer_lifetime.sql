-- One row per customer (every dim_customers row, with or without orders).
-- recency_days counts from the customer's last order to the last order date in the data (not
-- today, so that figures are reproducible). Frequency segments by distinct orders:
--   0 -> 'No purchases', 1 -> 'One-time',
--   2 .. (frequent_min_orders - 1) -> 'Regular', frequent_min_orders or more -> 'Frequent'
-- with frequent_min_orders = var('frequent_min_orders', 4).

with

sales as (
    select * from {{ ref('fct_sales') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

data_end as (
    select max(order_date) as last_order_date_in_data
    from sales
),

orders_by_customer as (
    select
        customer_key,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(distinct order_number) as orders,
        sum(sales_amount) as revenue,
    from sales
    group by customer_key
),

lifetime as (
    select
        customers.customer_key,
        customers.customer_id,
        orders_by_customer.first_order_date,
        orders_by_customer.last_order_date,
        coalesce(orders_by_customer.orders, 0) as orders,
        coalesce(orders_by_customer.revenue, 0) as revenue,
        date_diff('day', orders_by_customer.last_order_date, data_end.last_order_date_in_data)
            as recency_days,
    from customers
    cross join data_end
    left join orders_by_customer
        on customers.customer_key = orders_by_customer.customer_key
),

final as (
    select
        *,
        case
            when orders = 0 then 'No purchases'
            when orders = 1 then 'One-time'
            when orders < {{ var('frequent_min_orders', 4) }} then 'Regular'
            else 'Frequent'
        end as frequency_segment,
    from lifetime
)

select * from final
