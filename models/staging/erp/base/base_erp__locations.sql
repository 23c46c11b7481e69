{%- do require_bronze(source('erp', 'loc_a101')) -%}
{#- Every bronze LOC_A101 line with the id normalised to the CRM key and the country spelled
    out, and the reason it is rejected (NULL = kept). -#}
with

source as (
    select * from {{ source('erp', 'loc_a101') }}
),

country_codes as (
    select * from {{ ref('country_codes') }}
),

typed as (
    select
        -- AW-00011000 -> AW00011000
        replace({{ clean_text('cid') }}, '-', '') as customer_number,
        {{ clean_text('cntry') }} as country_text,
        _batch_id,
        _batch_seq,
        _source_row,
    from source
),

mapped as (
    -- codes (US, USA, DE, ...) become full names; full names stay; blanks become 'n/a'
    select
        typed.*,
        coalesce(country_codes.country, typed.country_text, 'n/a') as country,
    from typed
    left join country_codes
        on upper(typed.country_text) = country_codes.code
),

ranked as (
    select
        mapped.*,
        row_number() over (
            partition by customer_number
            order by _batch_seq desc, _source_row desc
        ) as copy_rank,
    from mapped
),

final as (
    select
        customer_number,
        country,
        _batch_id,
        _batch_seq,
        _source_row,
        case
            when customer_number is null
                then 'ERP location without a customer id (CID is blank)'
            when copy_rank > 1
                then 'superseded ERP location record: the same customer was sent again later'
        end as rejection_reason,
    from ranked
)

select * from final
