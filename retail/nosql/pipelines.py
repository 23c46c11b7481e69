"""The aggregation pipelines, as plain data (standard MongoDB stages only).

Every pipeline groups in MongoDB first and only then joins the small `products` lookup
collection (`$lookup` on a few hundred grouped rows, not on every event). Dates are UTC days.
Sessions are counted the way SQL `count(distinct session_id)` counts them: a missing or null
session_id is not a session.

`events` holds buckets (`events.py`), each with summaries computed from its events when it
was written: `event_types`, `payment_statuses`, and `product_views` (views per product_key and
UTC day). The pipelines read those summaries, not the events: the product pipelines unwind a
bucket's `product_views` (its session is the bucket's `session_id`), the funnel its
`event_types` and `payment_statuses`. A session split over several buckets (chunks, or
batches) is counted once: sessions are always counted by grouping on session_id after the
unwind, never per bucket.

A pipeline may run over a part of `events` at a time (`partitioned`: ranges of session_id) and
`aggregations` merges the parts, so every output is one that adds up over parts of sessions:
counts of sessions and views, and, for the distinct products of a category and day, the
product numbers themselves.
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

# one document per (bucket, product, day)
UNWIND: dict[str, Any] = {"$unwind": "$product_views"}
_IS_SESSION = {"session_id": {"$type": "string"}}
_BY_PRODUCT_SESSION = {"$group": {
    "_id": {"product": "$product_views.product_key", "session": "$session_id"},
    "views": {"$sum": "$product_views.views"}}}
_BY_PRODUCT_DAY = {"$group": {
    "_id": {"product": "$product_views.product_key", "day": "$product_views.day"},
    "views": {"$sum": "$product_views.views"}}}
_HAS_DAY = {"$match": {"product_views.day": {"$type": "string"}}}


def _is_string(path: str) -> dict[str, Any]:
    return {"$cond": [{"$eq": [{"$type": path}, "string"]}, 1, 0]}


def _join_products(local_field: str) -> list[dict[str, Any]]:
    return [
        {"$lookup": {"from": PRODUCTS_COLLECTION, "localField": local_field,
                     "foreignField": "_id", "as": "product"}},
        {"$unwind": {"path": "$product", "preserveNullAndEmptyArrays": True}},
    ]


def _most_viewed_tail() -> list[dict[str, Any]]:
    """(product, session) -> views groups -> one row per product number, most viewed first."""
    return [
        {"$group": {"_id": "$_id.product", "views": {"$sum": "$views"},
                    "sessions": {"$sum": _is_string("$_id.session")}}},
        *_join_products("_id"),
        {"$sort": {"views": -1, "_id": 1}},
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
    the rows of every part of the pass are merged (a product can be viewed in several parts).

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
        {"$sort": {"_id.day": 1, "_id.category": 1}},
        {"$project": {"_id": 0, "view_date": "$_id.day", "category": "$_id.category",
                      "views": 1, "product_numbers": 1}},
    ]


def product_view_facets() -> list[dict[str, Any]]:
    """Every product-view figure in ONE pass: one document with two facets.

    `products`: per product number, null included, its views and distinct viewing sessions
    with the product's names, most viewed first (the product views are grouped per (product,
    session) once, for both the sessions and the views of a product): the most viewed products
    are its rows with a product number, and the product views its (product number, views).
    `category_daily`: per (UTC day, category) the views and the product numbers viewed
    (`_category_daily_tail`). Why one pass: on the embedded server every stage costs ~30 µs
    per document that passes through it; this is two groupings of the unwound summaries
    instead of four.
    """
    return [
        UNWIND,
        {"$facet": {
            "products": [_BY_PRODUCT_SESSION, *_most_viewed_tail()],
            "category_daily": [_HAS_DAY, _BY_PRODUCT_DAY, *_category_daily_tail()],
        }},
    ]


def session_funnel() -> list[dict[str, Any]]:
    """One document of facets from which `funnel_totals` reads every funnel figure.

    `types`: distinct sessions per event type; `statuses`: per payment status of
    payment_attempt events, the events and the distinct sessions; `sessions`: distinct
    sessions; `events`: all events. A missing or null session_id is not a session.

    Why this shape: SecantusDB runs every stage in Python, at a cost per document that passes
    through it. So each facet reads the buckets' summaries (`event_types`,
    `payment_statuses`, `n`) as they are stored: no `$project` and no per-event expression
    (measured at scale 1: 5.2 s instead of 12.0 s for the pass). Sessions split over several
    buckets are still counted once: by grouping on the session after the unwind.
    """
    return [
        {"$facet": {
            "types": [{"$match": _IS_SESSION}, {"$unwind": "$event_types"},
                      {"$group": {"_id": {"s": "$session_id", "t": "$event_types"}}},
                      {"$group": {"_id": "$_id.t", "sessions": {"$sum": 1}}}],
            "statuses": [{"$unwind": "$payment_statuses"},
                         {"$group": {"_id": {"s": "$session_id", "p": "$payment_statuses"},
                                     "n": {"$sum": 1}}},
                         {"$group": {"_id": "$_id.p", "events": {"$sum": "$n"},
                                     "sessions": {"$sum": _is_string("$_id.s")}}}],
            "sessions": [{"$match": _IS_SESSION}, {"$group": {"_id": "$session_id"}},
                         {"$count": "n"}],
            "events": [{"$group": {"_id": None, "n": {"$sum": "$n"}}}],
        }},
    ]
