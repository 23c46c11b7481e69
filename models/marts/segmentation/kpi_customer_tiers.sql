-- One row per value tier (High, Medium, Low; always all three): customers, net revenue and
-- their shares. Revenue is net of returns (monetary_value), so refunded customers count
-- with their zero or negative value and the shares add up to 1 (to rounding: every ratio is
-- rounded to 4 decimal places, the rule of all KPI marts).

with

segments as (
    select * from {{ ref('customer_segments') }}
),

tiers as (
    select *
    from (values ('High', 1), ('Medium', 2), ('Low', 3)) as tier_list (value_tier, tier_order)
),

tier_totals as (
    select
        value_tier,
        count(*) as customers,
        sum(monetary_value) as revenue,
        min(monetary_value) as min_monetary_value,
        max(monetary_value) as max_monetary_value,
        min(percentile_rank) as min_percentile_rank,
    from segments
    group by value_tier
),

overall as (
    select
        count(*) as customers,
        sum(monetary_value) as revenue,
    from segments
),

final as (
    select
        cast(tiers.tier_order as integer) as tier_order,
        cast(tiers.value_tier as varchar) as value_tier,
        cast(coalesce(tier_totals.customers, 0) as integer) as customers,
        cast(coalesce(tier_totals.revenue, 0) as decimal(18, 2)) as revenue,
        cast(round(coalesce(tier_totals.customers, 0) / nullif(overall.customers, 0), 4)
            as double) as customer_share,
        cast(round(coalesce(tier_totals.revenue, 0) / nullif(overall.revenue, 0), 4)
            as double) as revenue_share,
        cast(tier_totals.revenue / nullif(tier_totals.customers, 0) as decimal(18, 2))
            as avg_revenue_per_customer,
        cast(tier_totals.min_monetary_value as decimal(18, 2)) as min_monetary_value,
        cast(tier_totals.max_monetary_value as decimal(18, 2)) as max_monetary_value,
        cast(round(tier_totals.min_percentile_rank, 4) as double) as min_percentile_rank,
    from tiers
    cross join overall
    left join tier_totals
        on tiers.value_tier = tier_totals.value_tier
)

select * from final
order by tier_order
