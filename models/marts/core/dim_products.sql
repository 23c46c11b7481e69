-- One row per product version (product_id), with its ERP category.

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
    from products_categorised
)

select * from final
