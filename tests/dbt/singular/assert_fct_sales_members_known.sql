{#- Warn-severity report of the order lines kept on a member the sources do not describe: a
    product number with no kept version (the line points at dim_products' unknown member '-1')
    or a customer id the CRM does not hold (an inferred member of dim_customers). The lines are
    kept and gold adds up; this only tells the user which source rows to fix. One row per line. -#}
{{ config(severity='warn') }}

with

sales as (
    select * from {{ ref('fct_sales') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

lines_on_unknown_members as (
    select
        sales.sales_key,
        sales.order_number,
        products.is_unknown as product_unknown,
        customers.is_inferred as customer_inferred,
    from sales
    inner join products
        on sales.product_key = products.product_key
    inner join customers
        on sales.customer_key = customers.customer_key
    where products.is_unknown or customers.is_inferred
)

select * from lines_on_unknown_members
