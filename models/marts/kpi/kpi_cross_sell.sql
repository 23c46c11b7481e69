-- One row per (customer frequency segment, product category): cross-sell opportunities, i.e.
-- (customer, product) pairs where a known customer viewed a product (a product_view event) but
-- never bought that product (any version). Anonymous views are left out. The category is that
-- of the product's current version; the segment is kpi_customer_lifetime.frequency_segment.

with

events as (
    select * from {{ ref('fct_web_events') }}
),

sales as (
    select * from {{ ref('fct_sales') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

customers as (
    select * from {{ ref('kpi_customer_lifetime') }}
),

viewed as (
    select distinct
        events.customer_key,
        products.product_number,
        products.category,
    from events
    inner join products
        on events.product_key = products.product_key
    where events.event_type = 'product_view'
        and events.customer_key is not null
),

bought as (
    select distinct
        sales.customer_key,
        products.product_number,
    from sales
    inner join products
        on sales.product_key = products.product_key
),

viewed_not_bought as (
    select viewed.*
    from viewed
    left join bought
        on viewed.customer_key = bought.customer_key
        and viewed.product_number = bought.product_number
    where bought.customer_key is null
),

final as (
    select
        customers.frequency_segment as customer_segment,
        viewed_not_bought.category,
        count(*) as opportunities,
        count(distinct viewed_not_bought.customer_key) as customers,
        count(distinct viewed_not_bought.product_number) as products,
    from viewed_not_bought
    inner join customers
        on viewed_not_bought.customer_key = customers.customer_key
    group by 1, 2
)

select * from final
