{%- do require_bronze(source('erp', 'px_cat_g1v2')) -%}
{#- Every bronze PX_CAT_G1V2 line, trimmed, and the reason it is rejected (NULL = kept). -#}
with

source as (
    select * from {{ source('erp', 'px_cat_g1v2') }}
),

typed as (
    select
        {{ clean_text('id') }} as category_id,
        {{ clean_text('cat') }} as category,
        {{ clean_text('subcat') }} as subcategory,
        case upper({{ clean_text('maintenance') }})
            when 'YES' then 'Yes'
            when 'Y' then 'Yes'
            when 'NO' then 'No'
            when 'N' then 'No'
        end as maintenance,
        _batch_id,
        _batch_seq,
        _source_row,
    from source
),

ranked as (
    select
        typed.*,
        row_number() over (
            partition by category_id
            order by _batch_seq desc, _source_row desc
        ) as copy_rank,
    from typed
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
        case
            when category_id is null
                then 'product category without an id (ID is blank)'
            when copy_rank > 1
                then 'superseded product category: the same ID was sent again later'
        end as rejection_reason,
    from ranked
)

select * from final
