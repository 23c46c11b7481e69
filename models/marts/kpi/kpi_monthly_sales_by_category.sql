-- One row per (order month, product category), the category of the product version sold.
-- Lines with an invalid order date have no month and are left out. MoM growth compares with
-- the previous calendar month of the same category.

with

sales as (
    select * from {{ ref('fct_sales') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

monthly as (
    select
        cast(date_trunc('month', sales.order_date) as date) as order_month,
        products.category,
        count(distinct sales.order_number) as orders,
        cast(sum(sales.quantity) as bigint) as units,
        sum(sales.sales_amount) as revenue,
        sum(sales.gross_margin) as gross_margin,
    from sales
    inner join products
        on sales.product_key = products.product_key
    where sales.order_date is not null
    group by 1, 2
),

final as (
    select
        order_month,
        category,
        orders,
        units,
        revenue,
        gross_margin,
        {{ mom_growth('revenue', 'order_month', ['category']) }},
    from monthly
)

select * from final
