-- One row per CRM customer (customer_id), with ERP birthdate, gender fallback and country.

with

crm_customers as (
    select * from {{ ref('stg_crm__customers') }}
),

erp_customers as (
    select * from {{ ref('stg_erp__customers') }}
),

erp_locations as (
    select * from {{ ref('stg_erp__locations') }}
),

customers_enriched as (
    select
        crm_customers.customer_id,
        crm_customers.customer_number,
        crm_customers.first_name,
        crm_customers.last_name,
        crm_customers.marital_status,
        crm_customers.create_date,
        erp_customers.birthdate,
        coalesce(erp_locations.country, 'n/a') as country,
        -- CRM is the master for gender; ERP only fills in when CRM does not know it.
        case
            when crm_customers.gender <> 'n/a' then crm_customers.gender
            else coalesce(erp_customers.gender, 'n/a')
        end as gender,
    from crm_customers
    left join erp_customers
        on crm_customers.customer_number = erp_customers.customer_number
    left join erp_locations
        on crm_customers.customer_number = erp_locations.customer_number
),

final as (
    select
        cast({{ generate_surrogate_key(['customer_id']) }} as varchar) as customer_key,
        cast(customer_id as integer) as customer_id,
        cast(customer_number as varchar) as customer_number,
        cast(first_name as varchar) as first_name,
        cast(last_name as varchar) as last_name,
        cast(country as varchar) as country,
        cast(marital_status as varchar) as marital_status,
        cast(gender as varchar) as gender,
        cast(birthdate as date) as birthdate,
        cast(create_date as date) as create_date,
    from customers_enriched
)

select * from final
