{%- do require_bronze(source('crm', 'cust_info')) -%}
{#- Every bronze cust_info line, typed and cleaned, with the reason it is rejected
    (NULL = kept). stg_crm__customers keeps the rest; rejected_rows lists the others. -#}
with

source as (
    select * from {{ source('crm', 'cust_info') }}
),

marital_status_codes as (
    select * from {{ ref('marital_status_codes') }}
),

gender_codes as (
    select * from {{ ref('gender_codes') }}
),

typed as (
    select
        {{ parse_integer('cst_id') }} as customer_id,
        {{ clean_text('cst_key') }} as customer_number,
        {{ clean_text('cst_firstname') }} as first_name,
        {{ clean_text('cst_lastname') }} as last_name,
        upper({{ clean_text('cst_marital_status') }}) as marital_status_code,
        upper({{ clean_text('cst_gndr') }}) as gender_code,
        {{ parse_iso_date('cst_create_date') }} as create_date,
        _batch_id,
        _batch_seq,
        _source_row,
    from source
),

mapped as (
    select
        typed.*,
        coalesce(marital_status_codes.marital_status, 'n/a') as marital_status,
        coalesce(gender_codes.gender, 'n/a') as gender,
    from typed
    left join marital_status_codes
        on typed.marital_status_code = marital_status_codes.code
    left join gender_codes
        on typed.gender_code = gender_codes.code
),

ranked as (
    -- the truth is the latest create_date; ties go to the latest batch, then the last line
    select
        mapped.*,
        row_number() over (
            partition by customer_id
            order by create_date desc nulls last, _batch_id desc, _source_row desc
        ) as version_rank,
    from mapped
),

final as (
    select
        customer_id,
        customer_number,
        first_name,
        last_name,
        marital_status,
        gender,
        create_date,
        _batch_id,
        _batch_seq,
        _source_row,
        case
            when customer_id is null
                then 'junk customer: cst_id is blank or not an integer'
            when version_rank > 1
                then 'superseded customer version: a later version of this cst_id was kept'
        end as rejection_reason,
    from ranked
)

select * from final
