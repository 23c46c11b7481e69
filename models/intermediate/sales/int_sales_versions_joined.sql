-- One row per sales line (order number, product number), joined to the product version that
-- was valid on the order date (point-in-time join on valid_from / valid_to).
-- When no version is valid on that date (the order date is invalid, or earlier than the first
-- version's start) the line falls back to the product's current version, so no line is dropped.
-- When the product number has no kept version at all (not in prd_info, or every version
-- rejected) the line points at dim_products' unknown member (product_key '-1') with a NULL
-- unit_cost: its cost is not known, so neither is its margin.

with

sales as (
    select * from {{ ref('stg_crm__sales') }}
),

products as (
    -- the versions only: no sales line matches the unknown member by product number
    select * from {{ ref('dim_products') }}
    where product_key <> {{ unknown_product_key() }}
),

versions_joined as (
    select
        sales.order_number,
        sales.product_number,
        sales.customer_id,
        sales.order_date,
        sales.ship_date,
        sales.due_date,
        sales.quantity,
        sales.unit_price,
        sales.sales_amount,
        sales._batch_id,
        sales._batch_seq,
        sales._ingested_at,
        coalesce(
            version_on_order_date.product_key,
            current_version.product_key,
            {{ unknown_product_key() }}
        ) as product_key,
        coalesce(version_on_order_date.cost, current_version.cost) as unit_cost,
    from sales
    left join products as version_on_order_date
        on sales.product_number = version_on_order_date.product_number
        and sales.order_date >= version_on_order_date.valid_from
        and (
            version_on_order_date.valid_to is null
            or sales.order_date <= version_on_order_date.valid_to
        )
    left join products as current_version
        on sales.product_number = current_version.product_number
        and current_version.is_current
)

select * from versions_joined
