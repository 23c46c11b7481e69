{%- do require_bronze(source('erp', 'cust_az12')) -%}
{#- Every bronze CUST_AZ12 line with the id normalised to the CRM key, and the reason it is
    rejected (NULL = kept). Birthdates after today (current_date at build time) are invalid. -#}
with

source as (
    select * from {{ source('erp', 'cust_az12') }}
),

gender_codes as (
    select * from {{ ref('gender_codes') }}
),

typed as (
    select
        -- NASAW00011000 -> AW00011000
        regexp_replace({{ clean_text('cid') }}, '^NAS', '') as customer_number,
        {{ parse_iso_date('bdate') }} as parsed_birthdate,
        upper({{ clean_text('gen') }}) as gender_code,
        _batch_id,
        _batch_seq,
        _source_row,
    from source
),

cleaned as (
    select
        typed.*,
        case when parsed_birthdate <= current_date then parsed_birthdate end as birthdate,
        coalesce(gender_codes.gender, 'n/a') as gender,
    from typed
    left join gender_codes
        on typed.gender_code = gender_codes.code
),

ranked as (
    -- a customer sent again (later batch, or later in the file) replaces the earlier copy
    select
        cleaned.*,
        row_number() over (
            partition by customer_number
            order by _batch_seq desc, _source_row desc
        ) as copy_rank,
    from cleaned
),

final as (
    select
        customer_number,
        birthdate,
        gender,
        _batch_id,
        _batch_seq,
        _source_row,
        case
            when customer_number is null
                then 'ERP customer without an id (CID is blank)'
            when copy_rank > 1
                then 'superseded ERP customer record: the same customer was sent again later'
        end as rejection_reason,
    from ranked
)

select * from final
