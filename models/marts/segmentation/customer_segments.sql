-- One row per purchasing customer (at least one order line in fct_sales): value tier from the
-- percentile rank of net spending, RFM scores and segment, as computed by the Spark step
-- (`retail segment`, retail/segmentation/scoring.py) and written as Parquet: the source
-- `segmentation.customer_segments_parquet`, which dbt-duckdb reads with read_parquet.
-- Before Spark has run there is no Parquet: the model is then empty, with the same typed columns.
-- Ratios are rounded to 4 decimal places, like every KPI ratio in gold.

{#- source() is called unconditionally so that dbt records the lineage while it parses. #}
{%- set spark_segments = source('segmentation', 'customer_segments_parquet') %}

-- Spark scores these gold tables (orchestration/assets/segmentation.py); dbt cannot give a
-- source parents, so these hints draw the edges (and build them first in a plain `dbt build`):
-- depends_on: {{ ref('fct_sales') }}
-- depends_on: {{ ref('fct_returns') }}
-- depends_on: {{ ref('dim_customers') }}

with

{% if parquet_files_exist(segments_parquet_glob()) %}
segments as (
    select * from {{ spark_segments }}
),
{% else %}
segments as (
    select
        null as customer_key,
        null as customer_id,
        null as gross_revenue,
        null as returned_amount,
        null as monetary_value,
        null as frequency,
        null as last_order_date,
        null as reference_date,
        null as recency_days,
        null as percentile_rank,
        null as value_tier,
        null as r_score,
        null as f_score,
        null as m_score,
        null as rfm_segment,
    where false
),
{% endif %}

final as (
    select
        cast(customer_key as varchar) as customer_key,
        cast(customer_id as integer) as customer_id,
        cast(gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(returned_amount as decimal(18, 2)) as returned_amount,
        cast(monetary_value as decimal(18, 2)) as monetary_value,
        cast(frequency as integer) as frequency,
        cast(last_order_date as date) as last_order_date,
        cast(reference_date as date) as reference_date,
        cast(recency_days as integer) as recency_days,
        cast(round(percentile_rank, 4) as double) as percentile_rank,
        cast(value_tier as varchar) as value_tier,
        cast(r_score as integer) as r_score,
        cast(f_score as integer) as f_score,
        cast(m_score as integer) as m_score,
        cast(rfm_segment as varchar) as rfm_segment,
    from segments
)

select * from final
