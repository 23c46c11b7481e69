-- One row per product (product number, all its versions together), described by its current
-- version. Products never sold are included with zero figures. Ranks are within the current
-- version's category by revenue (1 = highest; ties share a rank, the next rank is skipped).
-- Lines on the unknown product (product_key '-1': no kept version of their product number)
-- are summed in one row for the unknown member (product_number 'n/a'), present only when such
-- lines exist, so the revenue of the mart still adds up to fct_sales.

with

sales as (
    select * from {{ ref('fct_sales') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

sales_by_product as (
    select
        products.product_number,
        count(*) as order_lines,
        cast(sum(sales.quantity) as bigint) as units,
        sum(sales.sales_amount) as revenue,
        sum(sales.gross_margin) as gross_margin,
    from sales
    inner join products
        on sales.product_key = products.product_key
    group by products.product_number
),

current_products as (
    select * from products
    where is_current
        or (is_unknown and product_key in (select sales.product_key from sales))
),

performance as (
    select
        current_products.product_key,
        current_products.product_number,
        current_products.product_name,
        current_products.category,
        current_products.subcategory,
        coalesce(sales_by_product.order_lines, 0) as order_lines,
        coalesce(sales_by_product.units, 0) as units,
        coalesce(sales_by_product.revenue, 0) as revenue,
        -- unsold: 0; sold on the unknown product only: NULL (its cost is not known)
        case
            when sales_by_product.product_number is null then 0
            else sales_by_product.gross_margin
        end as gross_margin,
    from current_products
    left join sales_by_product
        on current_products.product_number = sales_by_product.product_number
),

final as (
    select
        *,
        case when revenue <> 0 then round(gross_margin / revenue, 4) end as gross_margin_pct,
        rank() over (partition by category order by revenue desc) as revenue_rank_in_category,
    from performance
)

select * from final
