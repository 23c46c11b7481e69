-- Return rates at three grains in one table; the `grain` column says which:
--   'product'  one row per product number   (grain_value = product number)
--   'category' one row per product category (grain_value = category)
--   'month'    one row per order month      (grain_value = 'YYYY-MM' of the sale)
-- Returns are attributed to the sales line they return (same order number and product version),
-- so sold and returned units always describe the same lines: return_rate =
-- returned_units / sold_units. Returns without a matching sales line are left out of the rate;
-- fct_returns still holds them. Lines with an invalid order date fall under month 'Unknown'.

with

sales as (
    select * from {{ ref('fct_sales') }}
),

returns as (
    select * from {{ ref('fct_returns') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

returns_by_line as (
    select
        order_number,
        product_key,
        cast(sum(return_quantity) as bigint) as returned_units,
        sum(return_amount) as returned_amount,
    from returns
    group by order_number, product_key
),

lines as (
    select
        products.product_number,
        products.category,
        coalesce(strftime(sales.order_date, '%Y-%m'), 'Unknown') as order_month,
        sales.quantity as sold_units,
        sales.sales_amount,
        coalesce(returns_by_line.returned_units, 0) as returned_units,
        coalesce(returns_by_line.returned_amount, 0) as returned_amount,
    from sales
    inner join products
        on sales.product_key = products.product_key
    left join returns_by_line
        on sales.order_number = returns_by_line.order_number
        and sales.product_key = returns_by_line.product_key
),

rates as (
    select
        case
            when grouping(product_number) = 0 then 'product'
            when grouping(category) = 0 then 'category'
            else 'month'
        end as grain,
        coalesce(product_number, category, order_month) as grain_value,
        cast(sum(sold_units) as bigint) as sold_units,
        cast(sum(returned_units) as bigint) as returned_units,
        sum(sales_amount) as revenue,
        sum(returned_amount) as returned_amount,
    from lines
    group by grouping sets ((product_number), (category), (order_month))
),

final as (
    select
        grain,
        grain_value,
        sold_units,
        returned_units,
        case when sold_units > 0 then round(returned_units / sold_units, 4) end as return_rate,
        revenue,
        returned_amount,
    from rates
)

select * from final
