-- Warns when gold.fct_sales or gold.fct_returns changed since the Spark step scored them: the
-- segments then describe an older state of the warehouse. Compares the gold snapshot Spark
-- scored (kept beside its output) with the live facts: order lines, revenue, returned amount.
-- Returns nothing before the first Spark run. Fix: `retail segment` (or a Dagster run).

{%- set purchases_path = segments_input_path('purchases') %}
{%- set returns_path = segments_input_path('returns') %}
{%- set has_snapshot = parquet_files_exist(purchases_path) and parquet_files_exist(returns_path) %}

with

segments as (
    select * from {{ ref('customer_segments') }}
),

live_sales as (
    select
        count(*) as order_lines,
        coalesce(sum(sales_amount), 0) as revenue,
    from {{ ref('fct_sales') }}
    where customer_key is not null
),

live_returns as (
    select coalesce(sum(return_amount), 0) as returned_amount,
    from {{ ref('fct_returns') }}
    where customer_key is not null
),

{% if has_snapshot %}
scored_sales as (
    select
        count(*) as order_lines,
        coalesce(sum(sales_amount), 0) as revenue,
    from read_parquet('{{ purchases_path | replace("'", "''") }}')
),

scored_returns as (
    select coalesce(sum(return_amount), 0) as returned_amount,
    from read_parquet('{{ returns_path | replace("'", "''") }}')
),
{% else %}
scored_sales as (
    select * from live_sales
),

scored_returns as (
    select * from live_returns
),
{% endif %}

final as (
    select
        scored_sales.order_lines as scored_order_lines,
        live_sales.order_lines as live_order_lines,
        scored_sales.revenue as scored_revenue,
        live_sales.revenue as live_revenue,
        scored_returns.returned_amount as scored_returned_amount,
        live_returns.returned_amount as live_returned_amount,
    from scored_sales
    cross join scored_returns
    cross join live_sales
    cross join live_returns
)

select * from final
where exists (select 1 from segments)
    and (
        scored_order_lines != live_order_lines
        or scored_revenue != live_revenue
        or scored_returned_amount != live_returned_amount
    )
