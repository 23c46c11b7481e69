{#- Gold keeps every silver order line and its money exactly: lines, orders, units, revenue and
    channel-independent totals of fct_sales equal those of stg_crm__sales, and the gross margin
    equals revenue minus the cost of the versions sold. Returns one row per figure that differs. -#}

with

silver_sales as (
    select * from {{ ref('stg_crm__sales') }}
),

gold_sales as (
    select * from {{ ref('fct_sales') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

silver_totals as (
    select
        count(*) as order_lines,
        count(distinct order_number) as orders,
        coalesce(sum(quantity), 0) as units,
        coalesce(sum(sales_amount), 0) as revenue,
    from silver_sales
),

gold_totals as (
    select
        count(*) as order_lines,
        count(distinct gold_sales.order_number) as orders,
        coalesce(sum(gold_sales.quantity), 0) as units,
        coalesce(sum(gold_sales.sales_amount), 0) as revenue,
        coalesce(sum(gold_sales.gross_margin), 0) as gross_margin,
        coalesce(sum(gold_sales.sales_amount - gold_sales.quantity * products.cost), 0)
            as margin_from_dimension,
    from gold_sales
    left join products
        on gold_sales.product_key = products.product_key
),

comparison as (
    select 'order_lines' as figure, silver_totals.order_lines as expected, gold_totals.order_lines as actual
    from silver_totals cross join gold_totals
    union all
    select 'orders', silver_totals.orders, gold_totals.orders
    from silver_totals cross join gold_totals
    union all
    select 'units', silver_totals.units, gold_totals.units
    from silver_totals cross join gold_totals
    union all
    select 'revenue', silver_totals.revenue, gold_totals.revenue
    from silver_totals cross join gold_totals
    union all
    select 'gross_margin', gold_totals.margin_from_dimension, gold_totals.gross_margin
    from gold_totals
)

select * from comparison
where expected is distinct from actual
