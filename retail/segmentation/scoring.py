"""Customer value tiers and RFM scores as pure functions over Spark DataFrames.

Only `pyspark.sql.functions` and `Window` are used (no RDDs, no UDFs), so the same code runs on
a classic session and on Spark Connect. Definitions (the dbt check in
`tests/dbt/singular/assert_segment_tiers_match_duckdb_percentiles.sql` repeats them in DuckDB):

- monetary_value = sum(sales_amount) - sum(return_amount), exact DECIMAL(18,2) arithmetic.
- frequency = distinct orders; recency_days = reference_date - last order date, where the
  reference date is the latest order date in the whole extract (NULL when no order of the
  customer has a valid date).
- percentile_rank = percent_rank() over (order by monetary_value)
  = (customers with a strictly lower monetary value) / (customers - 1); 0 for one customer.
  Ties share a rank, so equal spenders always land in the same tier.
- value_tier: 'High' if percentile_rank >= high (0.80), 'Medium' if >= medium (0.50), else 'Low'.
- R, F, M scores 1-5 by quintile: 1 + floor(5 * (rank - 1) / (customers - 1)), capped at 5,
  with rank() over ascending monetary_value (M), ascending frequency (F), and descending
  recency_days with NULLs first (R: the most recent buyers score 5). Integer arithmetic, so the
  quintile edges are exact and ties share a score.
- Zero or negative net revenue (everything returned, or refunds above purchases): the customer is
  kept (one row per purchasing customer), ranks at the bottom as its value says, and is forced to
  value_tier 'Low' and rfm_segment 'Refunded' whatever its rank.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import Window
from pyspark.sql import functions as F

from retail.segmentation.config import TierThresholds

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

MONEY = "decimal(18,2)"
TIERS = ("High", "Medium", "Low")
# First matching rule wins; fm = f_score + m_score (2..10). Documented in the model's YAML.
SEGMENT_RULES = (
    ("Refunded", "monetary_value <= 0"),
    ("Champions", "r_score >= 4 and fm >= 8"),
    ("Loyal", "r_score >= 3 and fm >= 6"),
    ("Potential", "r_score >= 3"),
    ("At risk", "fm >= 6"),
    ("Hibernating", "r_score = 2"),
    ("Lost", "otherwise (r_score = 1, fm < 6)"),
)
SEGMENT_COLUMNS = (
    ("customer_key", "string"),
    ("customer_id", "int"),
    ("gross_revenue", MONEY),
    ("returned_amount", MONEY),
    ("monetary_value", MONEY),
    ("frequency", "int"),
    ("last_order_date", "date"),
    ("reference_date", "date"),
    ("recency_days", "int"),
    ("percentile_rank", "double"),
    ("value_tier", "string"),
    ("r_score", "int"),
    ("f_score", "int"),
    ("m_score", "int"),
    ("rfm_segment", "string"),
)


def _whole_table() -> Window:
    return Window.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)


def customer_metrics(purchases: DataFrame, returns: DataFrame) -> DataFrame:
    """One row per customer with at least one order line: money, frequency and recency.

    `purchases`: customer_key, customer_id, order_number, order_date, sales_amount (order lines).
    `returns`: customer_key, return_amount. Returns of customers without purchases are ignored.
    """
    sales = purchases.groupBy("customer_key").agg(
        F.max("customer_id").alias("customer_id"),
        F.sum("sales_amount").alias("gross_revenue"),
        F.countDistinct("order_number").alias("frequency"),
        F.max("order_date").alias("last_order_date"),
    )
    refunds = returns.groupBy("customer_key").agg(F.sum("return_amount").alias("returned_amount"))
    returned = F.coalesce(F.col("returned_amount"), F.lit(0))
    reference_date = F.max("last_order_date").over(_whole_table())
    return (
        sales.join(refunds, on="customer_key", how="left")
        .select(
            "customer_key",
            "customer_id",
            F.col("gross_revenue").cast(MONEY).alias("gross_revenue"),
            returned.cast(MONEY).alias("returned_amount"),
            (F.col("gross_revenue") - returned).cast(MONEY).alias("monetary_value"),
            F.col("frequency").cast("int").alias("frequency"),
            "last_order_date",
            reference_date.alias("reference_date"),
        )
        .withColumn("recency_days", F.datediff("reference_date", "last_order_date"))
    )


def quintile_score(order: Column) -> Column:
    """1-5 from the rank under `order`: 1 + floor(5 * (rank - 1) / (n - 1)), at most 5."""
    position = F.rank().over(Window.orderBy(order)) - 1
    customers = F.count(F.lit(1)).over(_whole_table())
    divisor = F.greatest(customers - 1, F.lit(1))
    return F.least(F.lit(5), F.floor(position * 5 / divisor) + 1).cast("int")


def value_tier(
    percentile_rank: Column, monetary_value: Column, thresholds: TierThresholds
) -> Column:
    return (
        F.when(monetary_value <= 0, F.lit("Low"))
        .when(percentile_rank >= F.lit(thresholds.high), F.lit("High"))
        .when(percentile_rank >= F.lit(thresholds.medium), F.lit("Medium"))
        .otherwise(F.lit("Low"))
    )


def rfm_segment(
    r_score: Column, f_score: Column, m_score: Column, monetary_value: Column
) -> Column:
    """The named segment of SEGMENT_RULES (first match wins)."""
    fm = f_score + m_score
    return (
        F.when(monetary_value <= 0, F.lit("Refunded"))
        .when((r_score >= 4) & (fm >= 8), F.lit("Champions"))
        .when((r_score >= 3) & (fm >= 6), F.lit("Loyal"))
        .when(r_score >= 3, F.lit("Potential"))
        .when(fm >= 6, F.lit("At risk"))
        .when(r_score == 2, F.lit("Hibernating"))
        .otherwise(F.lit("Lost"))
    )


def score_customers(metrics: DataFrame, thresholds: TierThresholds | None = None) -> DataFrame:
    """Percentile rank, value tier, RFM scores and segment for the rows of `customer_metrics`."""
    thresholds = thresholds or TierThresholds()
    scored = metrics.select(
        "*",
        F.percent_rank().over(Window.orderBy(F.col("monetary_value").asc())).alias("percentile_rank"),
        quintile_score(F.col("recency_days").desc_nulls_first()).alias("r_score"),
        quintile_score(F.col("frequency").asc()).alias("f_score"),
        quintile_score(F.col("monetary_value").asc()).alias("m_score"),
    )
    labelled = scored.select(
        "*",
        value_tier(F.col("percentile_rank"), F.col("monetary_value"), thresholds)
        .alias("value_tier"),
        rfm_segment(F.col("r_score"), F.col("f_score"), F.col("m_score"),
                    F.col("monetary_value")).alias("rfm_segment"),
    )
    return labelled.select(*[F.col(name).cast(kind).alias(name) for name, kind in SEGMENT_COLUMNS])


def segment_customers(
    purchases: DataFrame, returns: DataFrame, thresholds: TierThresholds | None = None
) -> DataFrame:
    """The whole calculation: purchase history in, one scored row per purchasing customer out."""
    return score_customers(customer_metrics(purchases, returns), thresholds)
