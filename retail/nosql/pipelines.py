"""The aggregation pipelines, as plain data (standard MongoDB stages only).

Every pipeline groups in MongoDB first and only then joins the small `products` lookup
collection (`$lookup` on a few hundred grouped rows, not on every event). Dates are UTC days.
Sessions are counted the way SQL `count(distinct session_id)` counts them: a missing or null
session_id is not a session.

`events` holds buckets (`events.py`): the product pipelines first unwind a bucket's `events`
array, so an event's fields are `events.<field>` and its session is the bucket's `session_id`;
the funnel first reduces each bucket to its session, event count, event types and payment
statuses (`session_funnel`). A session
split over several buckets (chunks, or batches) is counted once: sessions are always counted
by grouping on session_id after the unwind, never per bucket.
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

UNWIND: dict[str, Any] = {"$unwind": "$events"}  # one document per event, bucket fields kept
_PRODUCT_VIEW = {"events.event_type": "product_view"}


def _is_string(path: str) -> dict[str, Any]:
    return {"$cond": [{"$eq": [{"$type": path}, "string"]}, 1, 0]}


def _join_products(local_field: str) -> list[dict[str, Any]]:
    return [
        {"$lookup": {"from": PRODUCTS_COLLECTION, "localField": local_field,
                     "foreignField": "_id", "as": "product"}},
        {"$unwind": {"path": "$product", "preserveNullAndEmptyArrays": True}},
    ]


_DAY = {"$dateToString": {"format": "%Y-%m-%d", "date": "$events.ts", "timezone": "UTC"}}


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
    """(product, day) -> views groups -> one row per (day, category).

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
                    "products": {"$sum": _is_string("$_id")}}},
        {"$sort": {"_id.day": 1, "_id.category": 1}},
        {"$project": {"_id": 0, "view_date": "$_id.day", "category": "$_id.category",
                      "views": 1, "products": 1}},
    ]


def most_viewed_products() -> list[dict[str, Any]]:
    """Product views and distinct viewing sessions per product number, most viewed first."""
    return [
        UNWIND,
        {"$match": {**_PRODUCT_VIEW, "events.product_key": {"$type": "string"}}},
        {"$group": {"_id": {"product": "$events.product_key", "session": "$session_id"},
                    "views": {"$sum": 1}}},
        *_most_viewed_tail(),
    ]


def category_views_daily() -> list[dict[str, Any]]:
    """Product views and distinct products viewed per (UTC day, category)."""
    return [
        UNWIND,
        {"$match": {**_PRODUCT_VIEW, "events.ts": {"$type": "date"}}},
        {"$group": {"_id": {"product": "$events.product_key", "day": _DAY},
                    "views": {"$sum": 1}}},
        *_category_daily_tail(),
    ]


def product_views() -> list[dict[str, Any]]:
    """Product views per product number (null when the event names none)."""
    return [
        UNWIND,
        {"$match": _PRODUCT_VIEW},
        {"$group": {"_id": "$events.product_key", "views": {"$sum": 1}}},
    ]


def product_view_facets() -> list[dict[str, Any]]:
    """`most_viewed_products`, `category_views_daily` and `product_views` in ONE pass.

    One document with the facets `most_viewed`, `category_daily` and `views`, each what the
    pipeline of that name returns. Why: on the embedded server each pass over `events` costs
    ~17 µs per document just to read it; the product views are grouped once by (product, session,
    UTC day) and every figure is regrouped from those groups.
    """
    return [
        UNWIND,
        {"$match": _PRODUCT_VIEW},
        {"$group": {"_id": {"k": "$events.product_key", "s": "$session_id", "d": _DAY},
                    "n": {"$sum": 1}}},
        {"$facet": {
            "most_viewed": [
                {"$match": {"_id.k": {"$type": "string"}}},
                {"$group": {"_id": {"product": "$_id.k", "session": "$_id.s"},
                            "views": {"$sum": "$n"}}},
                *_most_viewed_tail()],
            "category_daily": [
                {"$match": {"_id.d": {"$type": "string"}}},
                {"$group": {"_id": {"product": "$_id.k", "day": "$_id.d"},
                            "views": {"$sum": "$n"}}},
                *_category_daily_tail()],
            "views": [{"$group": {"_id": "$_id.k", "views": {"$sum": "$n"}}}],
        }},
    ]


def _bucket_values(field: str, of_type: str | None = None) -> dict[str, Any]:
    """The `field` of a bucket's events (of those of event type `of_type`), as an array.

    `$map` rather than the path `$events.<field>`: SecantusDB does not resolve a field path
    through an array of sub-documents in expressions (MongoDB does; `$map` works on both).
    """
    events: Any = "$events"
    if of_type is not None:
        events = {"$filter": {"input": "$events",
                              "cond": {"$eq": ["$$this.event_type", of_type]}}}
    return {"$map": {"input": events, "in": f"$$this.{field}"}}


def session_funnel() -> list[dict[str, Any]]:
    """One document of facets from which `funnel_totals` reads every funnel figure.

    `types`: distinct sessions per event type; `statuses`: per payment status of
    payment_attempt events, the events and the distinct sessions; `sessions`: distinct
    sessions; `events`: all events. A missing or null session_id is not a session.

    Why this shape: SecantusDB runs every stage in Python, at a cost per document that passes
    through it. So each bucket is first reduced to what the funnel needs (its session, its
    event count, its distinct event types, the statuses of its payment attempts), and only
    those short arrays are unwound: about a third of the documents an `$unwind` of every
    event gives (measured at scale 1: 8.6 s instead of 12.9 s for the pass). Sessions split
    over several buckets are still counted once: by grouping on the session after the unwind.
    """
    is_session = {"s": {"$type": "string"}}
    return [
        {"$project": {"_id": 0, "s": "$session_id", "n": {"$size": "$events"},
                      "types": {"$setUnion": [_bucket_values("event_type")]},
                      "pay": _bucket_values("payment_status", "payment_attempt")}},
        {"$facet": {
            "types": [{"$match": is_session}, {"$unwind": "$types"},
                      {"$group": {"_id": {"s": "$s", "t": "$types"}}},
                      {"$group": {"_id": "$_id.t", "sessions": {"$sum": 1}}}],
            "statuses": [{"$unwind": "$pay"},
                         {"$group": {"_id": {"s": "$s", "p": "$pay"}, "n": {"$sum": 1}}},
                         {"$group": {"_id": "$_id.p", "events": {"$sum": "$n"},
                                     "sessions": {"$sum": _is_string("$_id.s")}}}],
            "sessions": [{"$match": is_session}, {"$group": {"_id": "$s"}}, {"$count": "n"}],
            "events": [{"$group": {"_id": None, "n": {"$sum": "$n"}}}],
        }},
    ]
