-- One row per product version (product_id), with its ERP category, plus the unknown member
-- (product_key '-1', product_id -1, 'n/a' attributes, NULL cost and validity) that sales lines
-- point at when their product number has no kept version: not in prd_info, or every version
-- rejected (e.g. an invalid prd_start_dt). It is not current (is_current false), so counts of
-- current products stay those of the source.

with

products as (
    select * from {{ ref('stg_crm__products') }}
),

categories as (
    select * from {{ ref('stg_erp__product_categories') }}
),

products_categorised as (
    select
        products.product_id,
        products.product_number,
        products.product_name,
        products.category_id,
        coalesce(categories.category, 'n/a') as category,
        coalesce(categories.subcategory, 'n/a') as subcategory,
        coalesce(categories.maintenance, 'n/a') as maintenance,
        products.cost,
        products.product_line,
        products.valid_from,
        products.valid_to,
        products.is_current,
    from products
    left join categories
        on products.category_id = categories.category_id
),

final as (
    select
        cast({{ generate_surrogate_key(['product_id']) }} as varchar) as product_key,
        cast(product_id as integer) as product_id,
        cast(product_number as varchar) as product_number,
        cast(product_name as varchar) as product_name,
        cast(category_id as varchar) as category_id,
        cast(category as varchar) as category,
        cast(subcategory as varchar) as subcategory,
        cast(maintenance as varchar) as maintenance,
        cast(cost as integer) as cost,
        cast(product_line as varchar) as product_line,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        cast(is_current as boolean) as is_current,
        false as is_unknown,
    from products_categorised
),

unknown_product as (
    select
        cast({{ unknown_product_key() }} as varchar) as product_key,
        cast(-1 as integer) as product_id,
        'n/a' as product_number,
        'n/a' as product_name,
        'n/a' as category_id,
        'n/a' as category,
        'n/a' as subcategory,
        'n/a' as maintenance,
        cast(null as integer) as cost,
        'n/a' as product_line,
        cast(null as date) as valid_from,
        cast(null as date) as valid_to,
        false as is_current,
        true as is_unknown,
)

select * from final
union all
select * from unknown_product
