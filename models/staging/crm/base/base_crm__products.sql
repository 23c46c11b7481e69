{%- do require_bronze(source('crm', 'prd_info')) -%}
{#- Every bronze prd_info line, typed and cleaned, with the reason it is rejected
    (NULL = kept). Validity (valid_to, is_current) is computed over the kept versions only. -#}
with

source as (
    select * from {{ source('crm', 'prd_info') }}
),

product_line_codes as (
    select * from {{ ref('product_line_codes') }}
),

typed as (
    select
        {{ parse_integer('prd_id') }} as product_id,
        {{ clean_text('prd_key') }} as product_key,
        {{ clean_text('prd_nm') }} as product_name,
        coalesce({{ parse_integer('prd_cost') }}, 0) as cost,
        upper({{ clean_text('prd_line') }}) as product_line_code,
        {{ parse_iso_date('prd_start_dt') }} as valid_from,
        left({{ clean_text('prd_start_dt') }}, 40) as start_text,
        _batch_id,
        _batch_seq,
        _source_row,
    from source
),

split_key as (
    -- CO-RF-FR-R92B-58: category CO_RF, product number FR-R92B-58
    select
        typed.*,
        replace(left(product_key, 5), '-', '_') as category_id,
        nullif(substr(product_key, 7), '') as product_number,
    from typed
),

mapped as (
    select
        split_key.*,
        coalesce(product_line_codes.product_line, 'n/a') as product_line,
    from split_key
    left join product_line_codes
        on split_key.product_line_code = product_line_codes.code
),

ranked as (
    -- a version re-sent in a later batch replaces the earlier copy
    select
        mapped.*,
        row_number() over (
            partition by product_id
            order by _batch_seq desc, _source_row desc
        ) as copy_rank,
    from mapped
),

validated as (
    select
        ranked.*,
        case
            when product_id is null
                then 'junk product: prd_id is blank or not an integer'
            when product_number is null
                then 'product without a product number: prd_key is blank or too short'
            when valid_from is null and start_text is not null
                then 'product version without a valid start date: prd_start_dt '''
                    || start_text || ''' is not a date'
            when valid_from is null
                then 'product version without a valid start date (prd_start_dt)'
            when copy_rank > 1
                then 'superseded product version: the same prd_id was re-sent later'
        end as rejection_reason,
    from ranked
),

kept_versions as (
    -- prd_end_dt is unreliable: a version ends the day before the next one starts
    select
        validated.*,
        lead(valid_from) over (
            partition by product_number
            order by valid_from, product_id
        ) as next_valid_from,
    from validated
    where rejection_reason is null
),

rejected_versions as (
    select * from validated
    where rejection_reason is not null
),

with_validity as (
    select
        kept_versions.*,
        cast(next_valid_from - interval 1 day as date) as valid_to,
        next_valid_from is null as is_current,
    from kept_versions

    union all by name

    select * from rejected_versions
),

final as (
    select
        product_id,
        product_number,
        category_id,
        product_name,
        cost,
        product_line,
        valid_from,
        valid_to,
        is_current,
        _batch_id,
        _batch_seq,
        _source_row,
        rejection_reason,
    from with_validity
)

select * from final
