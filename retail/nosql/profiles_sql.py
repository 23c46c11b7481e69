"""The DuckDB query that shapes gold into customer-360 documents (one row = one document).

DuckDB builds the nesting (orders with their lines, as lists of structs), so the documents
are encoded from its Arrow batches column by column (retail/nosql/arrow_bson.py). Money
stays DECIMAL (-> BSON Decimal128) so figures are exact.

An order's lines are sorted as whole structs: by product number, then by every other field
(nulls last). So two lines on one product number (a product's versions, a split line) come in
one order whatever order gold stores them in, and a re-run makes the same document and digest.
Sorting the finished list is also cheaper than an ordered `list()` aggregate (~0.75 s at
scale 10). A customer's recent orders are sorted the same way, each behind its recency (unique
per customer, so it alone decides the order), which is then dropped: the same list as
`list(... order by recency)`, 3.5 -> 3.2 s for the whole query at scale 10.
"""

from __future__ import annotations

RECENT_ORDERS = 20

_LINES = """
order_lines as (
    select
        sales.customer_key, sales.order_number, sales.order_date, sales.ship_date,
        sales.channel, products.product_number, products.product_name, products.category,
        products.subcategory, sales.quantity, sales.unit_price, sales.sales_amount
    from gold.fct_sales as sales
    left join gold.dim_products as products on products.product_key = sales.product_key
),
orders as (
    select
        customer_key, order_number,
        min(order_date) as order_date, min(ship_date) as ship_date, min(channel) as channel,
        cast(sum(quantity) as bigint) as units, sum(sales_amount) as order_amount,
        list_sort(list(struct_pack(product_number, product_name, category, subcategory,
                                   quantity, unit_price, sales_amount))) as lines
    from order_lines
    group by customer_key, order_number
),
ranked_orders as (
    select *, row_number() over (
        partition by customer_key order by order_date desc nulls last, order_number desc
    ) as recency
    from orders
),
recent_orders as (
    select customer_key,
        list_transform(list_sort(list(struct_pack(
            r := recency, o := struct_pack(order_number, order_date, ship_date, channel, units,
                                           order_amount, lines)))), lambda x: x.o) as recent_orders
    from ranked_orders
    where recency <= {recent}
    group by customer_key
),
lifetime as (
    select customer_key,
        count(distinct order_number) as orders, count(*) as order_lines,
        cast(sum(quantity) as bigint) as units, sum(sales_amount) as revenue,
        sum(gross_margin) as gross_margin,
        min(order_date) as first_order_date, max(order_date) as last_order_date
    from gold.fct_sales
    group by customer_key
)"""


def _optional_struct(table: str, alias: str) -> tuple[str, str]:
    """A `select` column embedding every column of an optional gold table, and its join."""
    column = f"case when {alias}.customer_key is null then null else {alias} end as {alias}"
    join = f"left join gold.{table} as {alias} on {alias}.customer_key = customers.customer_key"
    return column, join


def profiles_query(has_segments: bool, has_lifetime_kpi: bool) -> str:
    """One row per gold.dim_customers row, ordered by customer_id."""
    columns = ["null as segment", "null as lifetime_kpi"]
    joins: list[str] = []
    for present, table, alias, index in (
        (has_segments, "customer_segments", "segment", 0),
        (has_lifetime_kpi, "kpi_customer_lifetime", "lifetime_kpi", 1),
    ):
        if present:
            columns[index], join = _optional_struct(table, alias)
            joins.append(join)
    return f"""
with {_LINES.format(recent=RECENT_ORDERS)}
select
    customers.*,
    struct_pack(
        orders := coalesce(lifetime.orders, 0),
        order_lines := coalesce(lifetime.order_lines, 0),
        units := coalesce(lifetime.units, 0),
        revenue := coalesce(lifetime.revenue, 0),
        gross_margin := coalesce(lifetime.gross_margin, 0),
        average_order_value := cast(lifetime.revenue / nullif(lifetime.orders, 0)
                                    as decimal(18, 2)),
        first_order_date := lifetime.first_order_date,
        last_order_date := lifetime.last_order_date
    ) as lifetime,
    coalesce(recent_orders.recent_orders, []) as recent_orders,
    {", ".join(columns)}
from gold.dim_customers as customers
left join lifetime on lifetime.customer_key = customers.customer_key
left join recent_orders on recent_orders.customer_key = customers.customer_key
{" ".join(joins)}
order by customers.customer_id
"""
