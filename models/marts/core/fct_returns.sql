-- One row per returned order line (order number, product number) from the ERP
-- returns file; empty when the extract has no returns file.
-- The customer, the product version and the price come from the sales line that was returned;
-- a return without a matching sales line keeps a NULL customer_key / return_amount and points
-- at the product's current version. A return is matched to its line by the line's key (order
-- number, product number), so the return of a line on the unknown product (product_key '-1')
-- is matched too; a return of a product with no kept version and no line also points at '-1'.

with

returns as (
    select * from {{ ref('stg_erp__returns') }}
),

sales as (
    select * from {{ ref('fct_sales') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

sold_lines as (
    select
        sales.sales_key,
        sales.customer_key,
        sales.product_key,
        sales.unit_price,
    from sales
),

current_products as (
    select product_number, product_key
    from products
    where is_current
),

returns_matched as (
    select
        returns.order_number,
        returns.product_number,
        returns.return_date,
        returns.return_quantity,
        returns.return_reason,
        sold_lines.customer_key,
        coalesce(
            sold_lines.product_key, current_products.product_key, {{ unknown_product_key() }}
        ) as product_key,
        returns.return_quantity * sold_lines.unit_price as return_amount,
    from returns
    left join sold_lines
        on {{ generate_surrogate_key(['returns.order_number', 'returns.product_number']) }}
            = sold_lines.sales_key
    left join current_products
        on returns.product_number = current_products.product_number
),

final as (
    select
        cast({{ generate_surrogate_key(['order_number', 'product_number']) }} as varchar)
            as return_key,
        cast(order_number as varchar) as order_number,
        cast(customer_key as varchar) as customer_key,
        cast(product_key as varchar) as product_key,
        cast(return_date as date) as return_date,
        {{ date_key('return_date') }} as return_date_key,
        cast(return_quantity as integer) as return_quantity,
        cast(return_reason as varchar) as return_reason,
        cast(return_amount as decimal(18, 2)) as return_amount,
    from returns_matched
)

select * from final
