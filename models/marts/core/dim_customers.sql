-- One row per CRM customer (customer_id), with ERP birthdate, gender fallback and country,
-- plus one inferred member per customer id that sales lines or web events name but the CRM
-- does not hold (yet): same customer_key (md5 of customer_id) as the facts use, unknown
-- attributes ('n/a', NULL names and dates), is_inferred true. When the customer arrives in a
-- later batch the same key gets its real attributes; no fact row changes.

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

sales as (
    select * from {{ ref('stg_crm__sales') }}
),

web_events as (
    select * from {{ ref('stg_web__events') }}
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

inferred_customers as (
    -- customer ids the facts name that the CRM does not hold
    select customer_id from sales
    union
    select customer_id from web_events where customer_id is not null
    except
    select customer_id from crm_customers
),

customers_with_inferred as (
    select customers_enriched.*, false as is_inferred from customers_enriched
    union all by name
    select
        customer_id,
        cast(null as varchar) as customer_number,
        cast(null as varchar) as first_name,
        cast(null as varchar) as last_name,
        'n/a' as marital_status,
        cast(null as date) as create_date,
        cast(null as date) as birthdate,
        'n/a' as country,
        'n/a' as gender,
        true as is_inferred,
    from inferred_customers
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
        cast(is_inferred as boolean) as is_inferred,
    from customers_with_inferred
)

select * from final
