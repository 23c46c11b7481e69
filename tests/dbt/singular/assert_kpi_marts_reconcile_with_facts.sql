{#- The KPI marts add up to the facts they summarise: daily sales to fct_sales (every line,
    the unknown day included); monthly marts to the lines with a valid order date; product
    performance to fct_sales; the product grain of the return rates to the returns matched to a
    sales line; customer lifetime to fct_sales. Returns one row per figure that differs. -#}

with

sales as (
    select * from {{ ref('fct_sales') }}
),

returns as (
    select * from {{ ref('fct_returns') }}
),

sales_totals as (
    select
        count(*) as order_lines,
        coalesce(sum(quantity), 0) as units,
        coalesce(sum(sales_amount), 0) as revenue,
        coalesce(sum(sales_amount) filter (where order_date is not null), 0) as dated_revenue,
        coalesce(sum(gross_margin), 0) as gross_margin,
    from sales
),

matched_returns as (
    select coalesce(sum(returns.return_quantity), 0) as returned_units
    from returns
    where exists (
        select 1 from sales
        where sales.order_number = returns.order_number
            and sales.product_key = returns.product_key
    )
),

kpi_figures as (
    select 'daily order_lines' as figure, (select coalesce(sum(order_lines), 0) from {{ ref('kpi_daily_sales') }}) as actual, (select order_lines from sales_totals) as expected
    union all
    select 'daily units', (select coalesce(sum(units), 0) from {{ ref('kpi_daily_sales') }}), (select units from sales_totals)
    union all
    select 'daily revenue', (select coalesce(sum(revenue), 0) from {{ ref('kpi_daily_sales') }}), (select revenue from sales_totals)
    union all
    select 'country revenue', (select coalesce(sum(revenue), 0) from {{ ref('kpi_monthly_sales_by_country') }}), (select dated_revenue from sales_totals)
    union all
    select 'category revenue', (select coalesce(sum(revenue), 0) from {{ ref('kpi_monthly_sales_by_category') }}), (select dated_revenue from sales_totals)
    union all
    select 'channel revenue', (select coalesce(sum(revenue), 0) from {{ ref('kpi_monthly_channel_revenue') }}), (select dated_revenue from sales_totals)
    union all
    select 'product revenue', (select coalesce(sum(revenue), 0) from {{ ref('kpi_product_performance') }}), (select revenue from sales_totals)
    union all
    select 'product gross margin', (select coalesce(sum(gross_margin), 0) from {{ ref('kpi_product_performance') }}), (select gross_margin from sales_totals)
    union all
    select 'customer revenue', (select coalesce(sum(revenue), 0) from {{ ref('kpi_customer_lifetime') }}), (select revenue from sales_totals)
    union all
    select 'returned units (product grain)', (select coalesce(sum(returned_units), 0) from {{ ref('kpi_return_rates') }} where grain = 'product'), (select returned_units from matched_returns)
    union all
    select 'sold units (month grain)', (select coalesce(sum(sold_units), 0) from {{ ref('kpi_return_rates') }} where grain = 'month'), (select units from sales_totals)
)

select * from kpi_figures
where expected is distinct from actual
