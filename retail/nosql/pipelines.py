"""The aggregation pipelines, as plain data (standard MongoDB stages only).

Every pipeline groups in MongoDB first and only then joins the small `products` lookup
collection (`$lookup` on a few hundred grouped rows, not on every event). Dates are UTC days.
Sessions are counted the way SQL `count(distinct session_id)` counts them: a missing or null
session_id is not a session.
"""

from __future__ import annotations

from typing import Any

PRODUCTS_COLLECTION = "products"

# (step_order, step, the event condition that puts a session in the step): kpi_web_funnel's
FUNNEL_STEPS: tuple[tuple[int, str, Any], ...] = (
    (1, "sessions", True),  # every session with any event
    (2, "product_view", {"$eq": ["$event_type", "product_view"]}),
    (3, "add_to_cart", {"$eq": ["$event_type", "add_to_cart"]}),
    (4, "checkout_start", {"$eq": ["$event_type", "checkout_start"]}),
    (5, "payment_attempt", {"$eq": ["$event_type", "payment_attempt"]}),
    (6, "payment_success", {"$and": [{"$eq": ["$event_type", "payment_attempt"]},
                                     {"$eq": ["$payment_status", "success"]}]}),
    (7, "purchase", {"$eq": ["$event_type", "purchase"]}),
)

_PRODUCT_VIEW = {"event_type": "product_view"}


def _is_string(path: str) -> dict[str, Any]:
    return {"$cond": [{"$eq": [{"$type": path}, "string"]}, 1, 0]}


def _join_products(local_field: str) -> list[dict[str, Any]]:
    return [
        {"$lookup": {"from": PRODUCTS_COLLECTION, "localField": local_field,
                     "foreignField": "_id", "as": "product"}},
        {"$unwind": {"path": "$product", "preserveNullAndEmptyArrays": True}},
    ]


def most_viewed_products() -> list[dict[str, Any]]:
    """Product views and distinct viewing sessions per product number, most viewed first."""
    return [
        {"$match": {**_PRODUCT_VIEW, "product_key": {"$type": "string"}}},
        {"$group": {"_id": {"product": "$product_key", "session": "$session_id"},
                    "views": {"$sum": 1}}},
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


def category_views_daily() -> list[dict[str, Any]]:
    """Product views and distinct products viewed per (UTC day, category)."""
    return [
        {"$match": {**_PRODUCT_VIEW, "ts": {"$type": "date"}}},
        {"$group": {"_id": {"product": "$product_key",
                            "day": {"$dateToString": {"format": "%Y-%m-%d", "date": "$ts",
                                                      "timezone": "UTC"}}},
                    "views": {"$sum": 1}}},
        *_join_products("_id.product"),
        {"$group": {"_id": {"day": "$_id.day",
                            "category": {"$ifNull": ["$product.category", None]}},
                    "views": {"$sum": "$views"},
                    "products": {"$sum": _is_string("$_id.product")}}},
        {"$sort": {"_id.day": 1, "_id.category": 1}},
        {"$project": {"_id": 0, "view_date": "$_id.day", "category": "$_id.category",
                      "views": 1, "products": 1}},
    ]


def product_views() -> list[dict[str, Any]]:
    """Product views per product number (null when the event names none)."""
    return [
        {"$match": _PRODUCT_VIEW},
        {"$group": {"_id": "$product_key", "views": {"$sum": 1}}},
    ]


def session_funnel() -> list[dict[str, Any]]:
    """One document: per funnel step, the distinct sessions with at least one such event,
    and the payment attempts and failed attempts (events, whatever their session).
    """
    is_payment = {"$eq": ["$event_type", "payment_attempt"]}
    is_failed = {"$and": [is_payment, {"$eq": ["$payment_status", "failed"]}]}
    per_session = {name: {"$max": {"$cond": [condition, 1, 0]}}
                   for _order, name, condition in FUNNEL_STEPS}
    is_session = {"$eq": [{"$type": "$_id"}, "string"]}  # events without a session: no session
    return [
        {"$group": {"_id": "$session_id", **per_session,
                    "payment_attempts": {"$sum": {"$cond": [is_payment, 1, 0]}},
                    "failed_payments": {"$sum": {"$cond": [is_failed, 1, 0]}}}},
        {"$group": {"_id": None,
                    **{name: {"$sum": {"$cond": [is_session, f"${name}", 0]}}
                       for _order, name, _c in FUNNEL_STEPS},
                    "payment_attempts": {"$sum": "$payment_attempts"},
                    "failed_payments": {"$sum": "$failed_payments"}}},
    ]
