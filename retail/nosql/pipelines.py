"""The aggregation pipelines, as plain data (standard MongoDB stages only).

Every pipeline groups in MongoDB first and only then joins the small `products` lookup
collection (`$lookup` on a few hundred grouped rows, not on every event). Dates are UTC days.
Sessions are counted the way SQL `count(distinct session_id)` counts them: a missing or null
session_id is not a session.

`events` holds buckets (`events.py`), each with summaries computed from its events when it
was written: `event_types`, `payment_statuses`, and `product_views` (views per product_key and
UTC day). The pipelines read those summaries, not the events: the product pipelines unwind a
bucket's `product_views` (its session is the bucket's `session_id`), the funnel gathers
each session's `event_types` and `payment_statuses`. A session split over several buckets
(chunks, or batches) is counted once: sessions are always counted by grouping on session_id
(the funnel's buckets per session, the product views' (product, session) pairs after the
unwind), never per bucket.

Each pass starts with a `$project` of the summary fields it reads (`summary`): on a real
MongoDB a plain projection, on the embedded server the sign that the bucket's events need not
be decoded at all (`projected_reads`).

A pipeline may run over a part of `events` at a time (`partitioned`: ranges of session_id) and
`aggregations` merges the parts, so every output is one that adds up over parts of sessions:
counts of sessions and views, the funnel's signature rows, and, for the distinct products of
a category and day, the product numbers themselves.
"""

from __future__ import annotations

from typing import Any

PRODUCTS_COLLECTION = "products"

# (step_order, step): kpi_web_funnel's steps. A step's sessions are the distinct sessions with
# an event of that type; "sessions" counts every session, "payment_success" the sessions with a
# payment_attempt whose status is success (see `session_funnel`).
FUNNEL_STEPS: tuple[tuple[int, str], ...] = (
    (1, "sessions"), (2, "product_view"), (3, "add_to_cart"), (4, "checkout_start"),
    (5, "payment_attempt"), (6, "payment_success"), (7, "purchase"),
)


def summary(*fields: str) -> dict[str, Any]:
    """The `$project` of a pass that reads these top-level fields of each bucket."""
    return {"$project": {"_id": 0, **dict.fromkeys(fields, 1)}}


_FUNNEL_FIELDS = ("session_id", "event_types", "payment_statuses", "n")
_VIEW_FIELDS = ("session_id", "product_views")

# one document per (bucket, product, day)
UNWIND: dict[str, Any] = {"$unwind": "$product_views"}
_UNSESSIONED = {"$match": {"session_id": {"$not": {"$type": "string"}}}}
_BY_PRODUCT_SESSION = {"$group": {
    "_id": {"product": "$product_views.product_key", "session": "$session_id"},
    "views": {"$sum": "$product_views.views"}}}
_BY_PRODUCT_DAY = {"$group": {
    "_id": {"product": "$product_views.product_key", "day": "$product_views.day"},
    "views": {"$sum": "$product_views.views"}}}
_HAS_DAY = {"$match": {"_id.day": {"$type": "string"}}}  # after _BY_PRODUCT_DAY: on its groups


def _join_products(local_field: str) -> list[dict[str, Any]]:
    return [
        {"$lookup": {"from": PRODUCTS_COLLECTION, "localField": local_field,
                     "foreignField": "_id", "as": "product"}},
        {"$unwind": {"path": "$product", "preserveNullAndEmptyArrays": True}},
    ]


def _most_viewed_tail() -> list[dict[str, Any]]:
    """(product, session) -> views groups -> one row per product number: its views, its
    groups (`sessions`: the group of the buckets without a session included, which
    `aggregations` takes away, from facet `unsessioned`) and names. Ordered after the parts
    are merged (`aggregations`)."""
    return [
        {"$group": {"_id": "$_id.product", "views": {"$sum": "$views"}, "sessions": {"$sum": 1}}},
        *_join_products("_id"),
        {"$project": {"_id": 0, "product_number": "$_id",
                      "product_key": {"$ifNull": ["$product.product_key", None]},
                      "product_name": {"$ifNull": ["$product.product_name", None]},
                      "category": {"$ifNull": ["$product.category", None]},
                      "subcategory": {"$ifNull": ["$product.subcategory", None]},
                      "views": 1, "sessions": 1}},
    ]


def _category_daily_tail() -> list[dict[str, Any]]:
    """(product, day) -> views groups -> one row per (day, category): its views and the
    product numbers viewed (distinct: one group per product), which `aggregations` counts once
    the rows of every part of the pass are merged (a product can be viewed in several parts),
    and orders.

    The (product, day) groups are gathered per product before the join, so `$lookup` runs
    once per product (hundreds), not once per (product, day) group (tens of thousands).
    """
    return [
        {"$group": {"_id": "$_id.product", "days": {"$push": "$$ROOT"}}},
        *_join_products("_id"),
        {"$unwind": "$days"},
        {"$group": {"_id": {"day": "$days._id.day",
                            "category": {"$ifNull": ["$product.category", None]}},
                    "views": {"$sum": "$days.views"},
                    "product_numbers": {"$push": "$_id"}}},
        {"$project": {"_id": 0, "view_date": "$_id.day", "category": "$_id.category",
                      "views": 1, "product_numbers": 1}},
    ]


def product_view_facets(sessioned: bool = False) -> list[dict[str, Any]]:
    """Every product-view figure in ONE pass: one document with three facets.

    `products`: per product number, null included, its views and viewing (product, session)
    groups with the product's names: the most viewed products are its rows with a product
    number, and the product views its (product number, views). `unsessioned`: per product
    number, the groups among those of buckets without a session (none, or one: a missing or
    null session_id groups as null), which `aggregations` takes from the groups to give the
    distinct viewing sessions. `category_daily`: per (UTC day, category) the views and the
    product numbers viewed (`_category_daily_tail`).

    Why this shape: on the embedded server every stage costs ~20-40 µs per document that
    passes through it, and an expression per document more: this is two groupings of the
    unwound summaries instead of four, the sessions are counted without a `$cond` per
    (product, session) group (the few buckets without a session are matched once, apart),
    and nothing is sorted before the parts are merged. Measured on 50,000 buckets: 10.2 s
    against 11.3 s with the `$cond`.

    `sessioned`: for a part of buckets that all have a string session (a range of session_id,
    `partitioned`), whose `unsessioned` facet is empty: it is left out, and with it a `$match`
    over every bucket. And the product views without a day are dropped after the (product,
    day) grouping, from its groups, not from every unwound view before it. Together, at scale
    10 (222k buckets in 5 parts): 19.6 s -> 18.8 s of the embedded server, same figures.
    """
    facets: dict[str, Any] = {"products": [UNWIND, _BY_PRODUCT_SESSION, *_most_viewed_tail()]}
    if not sessioned:
        facets["unsessioned"] = [_UNSESSIONED, UNWIND, _BY_PRODUCT_SESSION,
                                 {"$group": {"_id": "$_id.product", "groups": {"$sum": 1}}}]
    facets["category_daily"] = [UNWIND, _BY_PRODUCT_DAY, _HAS_DAY, *_category_daily_tail()]
    return [summary(*_VIEW_FIELDS), {"$facet": facets}]


def funnel_pass() -> list[dict[str, Any]]:
    """The funnel alone (`session_funnel`) as a pass of its own."""
    return [summary(*_FUNNEL_FIELDS), *session_funnel()]


def session_funnel() -> list[dict[str, Any]]:
    """Sessions grouped by their funnel signature, from which `funnel_totals` reads every
    funnel figure.

    First every session's buckets are grouped into one document (a session split over
    several buckets, by chunks or batches, is counted once): the lists of its buckets'
    `event_types` and `payment_statuses`, and its events. Then sessions with the same lists
    are counted together: one row per signature (`types`, `statuses`, `session_type`: the BSON
    type of the session_id, not "string" for the group of the buckets without a session), its
    `sessions` and `events`. A session reaches a step when any of its buckets holds an event of
    that type; `funnel_totals` adds the few hundred signature rows up into the steps. A missing
    or null session_id is not a session.

    Why this shape: SecantusDB runs every stage in Python, at a cost per document that passes
    through it, and most of it in expressions and accumulators. This pass reads the buckets'
    summaries as stored, groups each bucket once and each session once, with three cheap
    accumulators: measured on 50,000 buckets, 4.2 s against 8.4 s for the earlier facets (one
    distinct (session, type) grouping per event type, then per type; per status; sessions;
    events), of which 2.0 s is reading the buckets.
    """
    return [
        {"$group": {"_id": "$session_id", "types": {"$push": "$event_types"},
                    "statuses": {"$push": "$payment_statuses"}, "events": {"$sum": "$n"}}},
        {"$group": {"_id": {"types": "$types", "statuses": "$statuses",
                            "session_type": {"$type": "$_id"}},
                    "sessions": {"$sum": 1}, "events": {"$sum": "$events"}}},
    ]


def event_facets(sessioned: bool = False) -> list[dict[str, Any]]:
    """The funnel (`session_funnel`, facet `funnel`) and the product views
    (`product_view_facets`' facets) in ONE pass: every bucket is read once for both."""
    _, facets = product_view_facets(sessioned)
    fields = dict.fromkeys((*_FUNNEL_FIELDS, *_VIEW_FIELDS))
    return [summary(*fields), {"$facet": {"funnel": session_funnel(), **facets["$facet"]}}]
