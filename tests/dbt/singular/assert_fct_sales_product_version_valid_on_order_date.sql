{#- Point-in-time join: a line with a valid order date points at the version whose validity
    contains that date whenever such a version exists, and a line with an invalid order date
    points at the current version. Lines on the unknown product (no kept version of their
    product number) have no version to check. Returns the lines that point elsewhere. -#}

with

sales as (
    select * from {{ ref('fct_sales') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

lines as (
    select
        sales.sales_key,
        sales.order_date,
        sold_version.product_number,
        sold_version.valid_from,
        sold_version.valid_to,
        sold_version.is_current,
    from sales
    inner join products as sold_version
        on sales.product_key = sold_version.product_key
    where not sold_version.is_unknown
),

wrong_versions as (
    select lines.*
    from lines
    where (lines.order_date is null and not lines.is_current)
        or (
            lines.order_date is not null
            and not (
                lines.order_date >= lines.valid_from
                and (lines.valid_to is null or lines.order_date <= lines.valid_to)
            )
            and exists (
                select 1 from products as other_version
                where other_version.product_number = lines.product_number
                    and lines.order_date >= other_version.valid_from
                    and (other_version.valid_to is null or lines.order_date <= other_version.valid_to)
            )
        )
)

select * from wrong_versions
