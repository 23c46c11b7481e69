with

categories as (
    select * from {{ ref('base_erp__product_categories') }}
),

kept as (
    select * from categories
    where rejection_reason is null
),

final as (
    select
        category_id,
        category,
        subcategory,
        maintenance,
        _batch_id,
        _batch_seq,
        _source_row,
    from kept
)

select * from final
