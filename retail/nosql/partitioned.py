"""Run an aggregation over `events` in parts split by session_id, so a pass needs bounded memory.

Why: SecantusDB answers `aggregate` by first turning every document the leading `$match`
selects into Python objects (~21 KB per bucket at scale 10: a pass over the whole collection
peaked at 5.1 GB there, and would need ~36 GiB at scale 100, which the kernel's OOM killer
stopped). A pass over about `PASS_BUCKETS` buckets at a time needs the same memory whatever
the scale: at scale 100 (37 parts per pass) the server stayed under 4 GB. Measured on the
scale-10 collection (222k buckets), funnel pass: one part 44.9 s and 5.11 GB peak, three
parts 46.4 s and 2.40 GB, six parts 46.7 s and 1.79 GB: each part's
`$match` on session_id rides the (session_id, first_ts) index, so the parts cost about what
the whole pass did.

The parts: ranges of session_id (strings: a range matches strings only, by MongoDB's type
bracketing) plus the buckets without a session (`session_id: null`, also missing), whose
split points come from the sample of session ids the load ledger keeps per load
(`load_ledger.mirrored_loads`). A session's buckets all fall in one part, so every figure that
counts distinct sessions adds up over the parts, exactly as a sharded cluster adds up its
shards' partial groups; the figures that are not sums (the distinct products of a category
and day, the order of the most viewed products) are finished after the merge
(`aggregations`). The sync writes session_id as a string or null, and only those are matched.
Split points only balance the parts: any points, stale or missing, give the same figures.
A collection of up to `PASS_BUCKETS` buckets (scale 1, any real-size extract) is read in one
pass with no `$match`, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from retail.errors import RetailError
from retail.nosql.load_ledger import SESSION_SAMPLE, mirrored_loads

EVENTS = "events"
PASS_BUCKETS = 60_000  # about this many buckets per pass (~21 KB each on the embedded server)


def session_parts(db: Any) -> list[dict[str, Any]]:
    """The `$match` filters of the parts (`[{}]`: one pass over everything), each of about
    `PASS_BUCKETS` buckets."""
    loads = mirrored_loads(db)
    buckets = sum(int(load.get("buckets", 0)) for load in loads)
    sample = sorted({session for load in loads for session in load.get(SESSION_SAMPLE, [])
                     if isinstance(session, str)})
    parts = -(-buckets // PASS_BUCKETS)
    if parts < 2 or not sample:
        return [{}]
    points = sorted({sample[len(sample) * i // parts] for i in range(1, parts)})
    return [*range_filters("session_id", points), {"session_id": None}]


def range_filters(field: str, points: list[Any]) -> list[dict[str, Any]]:
    """Filters splitting the values of `field` of one BSON type (that of the sorted, distinct
    `points`) into consecutive ranges: below the first point, between two, from the last on.
    Each rides an index on `field`; by type bracketing none matches another type."""
    filters: list[dict[str, Any]] = []
    for low, high in zip([None, *points], [*points, None], strict=True):
        bounds = {"$gte": low} if low is not None else {}
        if high is not None:
            bounds["$lt"] = high
        filters.append({field: bounds})
    return filters


class PassCancelled(RetailError):
    """A pass was stopped between two parts (`cancel` set): the run ended first."""


def aggregate_parts(db: Any, pipeline: list[dict[str, Any]],
                    sessioned: list[dict[str, Any]] | None = None,
                    cancel: threading.Event | None = None) -> list[list[dict[str, Any]]]:
    """The results of `pipeline` over each part of `events` (`session_parts`).

    `sessioned`: the pipeline for the parts that are ranges of session_id, whose buckets all
    have a string session (every part but the last, of buckets without one), when the caller
    has one that gives the same results there with less work (`pipelines.event_facets`).
    `cancel`, once set, stops the pass before its next part (`PassCancelled`)."""
    results = []
    for part in session_parts(db):
        if cancel is not None and cancel.is_set():
            raise PassCancelled("the pass over `events` was stopped (the run ended)")
        stages = pipeline if sessioned is None or not _is_range(part) else sessioned
        results.append(list(db[EVENTS].aggregate(
            [{"$match": part}, *stages] if part else pipeline, allowDiskUse=True)))
    return results


def _is_range(part: dict[str, Any]) -> bool:
    """Whether `part` is one of `range_filters`' (a bound on a string session_id)."""
    return isinstance(part.get("session_id"), dict)


def add_up(rows: Iterable[dict[str, Any]], key: str,
           sums: tuple[str, ...]) -> dict[Any, dict[str, Any]]:
    """The rows of several parts merged by `key`: the `sums` fields added up, the others as the
    first part gave them (they depend on the key alone). Copies: the rows are not changed."""
    merged: dict[Any, dict[str, Any]] = {}
    for row in rows:
        into = merged.get(row[key])
        if into is None:
            merged[row[key]] = dict(row)
        else:
            for name in sums:
                into[name] += row[name]
    return merged
