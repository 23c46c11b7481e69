"""Reads on the embedded server decode only the fields a projection keeps.

SecantusDB decodes every document a query fetches whole, and only then filters, sorts and
projects it. Two reads of this platform want a few fields of large documents:
- the passes over `events` read a few summary fields of each bucket (session_id, n, event
  types, payment statuses, product views: ~450 of a bucket's ~3,000 bytes), yet decoded its
  events too: at scale 10 a fifth of the pass, and a third of its memory;
- a profiles rebuild reads each live profile's digest (`find({}, {digest: 1})`), yet decoded
  every profile (~1.8 KB) whole.
Here, in those two shapes, each fetched document is read lightly (`light_reads.light_decode`:
`_id` and the fields the read needs) and what SecantusDB does next is unchanged.

**`find` with an including projection** of top-level fields: the fields read are the
projection's, the filter's and the sort's; SecantusDB then filters, sorts and projects the
documents as before. Exact: each of those steps reads only those fields.

**`aggregate` whose pipeline starts** (after its optional leading `$match`, which SecantusDB
lifts into the fetch) **with an including `$project`** of top-level fields: the fields read are
the `$project`'s and the filter's, the fetched documents are shaped as the `$project` would
shape them (`project`), and the stage is taken out of the pipeline. Why not leave the stage:
it costs more than the light read saves, ~20 µs per document (a pass of 15.2 s with the light
read alone became 20.1 s with the stage). Exact: an including `$project` of top-level fields
keeps `_id` (first, unless excluded) and those fields whole, in the document's order, and drops
the rest; the lifted `$match` filters the documents before they are shaped, with its fields
read, as it did. Only the command's first fetch is read this way: the pipeline's own reads
(`$lookup`, `$unionWith`, ...) decode whole.

A document the light reader cannot read is decoded whole (and still shaped). A view (whose
pipeline comes first), system collections, and anything else (a dotted, computed or `$meta`
field, an exclusion, `$`-operators at the top of the filter, `min`/`max`, `explain`) go to
SecantusDB unchanged. Installed only in the embedded server's process (`embedded_process.py`);
tests/unit/test_projected_reads.py runs reads both ways and compares the results.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from retail.nosql import light_reads

# .pending: (db, collection, fields to read, fields kept, keeps _id) of the command's first
# fetch; .reader: how that fetch reads the documents it unframes
_state = threading.local()


# stages SecantusDB treats apart when they come first (besides a lifted `$match`)
_FIRST_ONLY = frozenset(("$collStats", "$indexStats", "$documents", "$geoNear", "$changeStream",
                         "$currentOp", "$listSessions", "$listLocalSessions", "$search"))


def _included(spec: Any) -> tuple[list[str], bool] | None:
    """The top-level fields an including `$project` keeps, and whether it keeps `_id`; None for
    any other projection."""
    if not isinstance(spec, Mapping) or not spec:
        return None
    fields: list[str] = []
    keep_id = True
    for name, value in spec.items():
        if not isinstance(name, str) or not name or name.startswith("$") or "." in name \
                or "\x00" in name or type(value) not in (bool, int):
            return None
        if name == "_id":
            keep_id = bool(value)
        elif value is True or value == 1:
            fields.append(name)
        else:
            return None  # an exclusion, or a number other than 1
    return (fields, keep_id) if fields else None


def _filter_fields(query: Any) -> set[str] | None:
    """The top-level fields a `$match` filter reads; None when it is not a plain filter."""
    if not isinstance(query, Mapping):
        return None
    fields = set()
    for name in query:
        if not isinstance(name, str) or not name or name.startswith("$"):
            return None
        fields.add(name.split(".", 1)[0])
    return fields


def find_fields(filter_: Any, sort: Any, projection: Any, min_bound: Any, max_bound: Any,
                ) -> frozenset[bytes] | None:
    """The top-level fields a `find` with an including projection reads; None for any other."""
    included = _included(projection)
    filtered = _filter_fields(filter_ or {})
    if included is None or filtered is None or min_bound or max_bound:
        return None
    sorted_by = _filter_fields(sort or {})  # the same rule: plain (dotted) field names
    if sorted_by is None:
        return None
    return frozenset(name.encode() for name in {*included[0], *filtered, *sorted_by}
                     if name != "_id")


def plan(pipeline: Any) -> tuple[list[Any], frozenset[bytes], tuple[str, ...], bool] | None:
    """For a pipeline that starts ([`$match`,] `$project`) as described above: the pipeline
    without that `$project`, the fields to read, the fields the `$project` keeps and whether
    it keeps `_id`. None otherwise."""
    if not isinstance(pipeline, list):
        return None
    stages = list(pipeline)
    read: set[str] = set()
    first = 0
    if stages and isinstance(stages[0], Mapping) and len(stages[0]) == 1 \
            and "$match" in stages[0] and isinstance(stages[0]["$match"], Mapping):
        matched = _filter_fields(stages[0]["$match"])
        if matched is None:
            return None
        read |= matched
        first = 1
    if len(stages) <= first or not isinstance(stages[first], Mapping) \
            or list(stages[first]) != ["$project"]:
        return None
    included = _included(stages[first]["$project"])
    if included is None:
        return None
    fields, keep_id = included
    following = stages[first + 1] if len(stages) > first + 1 else {}
    if isinstance(following, Mapping) and (
            _FIRST_ONLY.intersection(following) or (first == 0 and "$match" in following)):
        return None  # taking the `$project` out would make that stage the fetch's
    read |= set(fields)
    return (stages[:first] + stages[first + 1:],
            frozenset(name.encode() for name in read if name != "_id"),
            tuple(fields), keep_id)


def project(doc: dict[str, Any], fields: tuple[str, ...], keep_id: bool) -> dict[str, Any]:
    """`doc` as an including `$project` of the top-level `fields` gives it: `_id` first when
    `keep_id`, then those of `fields` it has, in its own order."""
    wanted = set(fields)
    shaped = {"_id": doc["_id"]} if keep_id and "_id" in doc else {}
    shaped.update((name, value) for name, value in doc.items() if name in wanted)
    return shaped


@contextlib.contextmanager
def _reading(fields: frozenset[bytes]) -> Iterator[None]:
    """Within: the documents this thread's fetch unframes are marked to be read as `_id` and
    `fields` (`unframe` in `install`)."""
    _state.reader = functools.partial(light_reads.read, fields=fields)
    try:
        yield
    finally:
        _state.reader = None
        light_reads.forget_marks()


def install() -> None:
    """Read lightly in SecantusDB's finds and aggregations (this process only; idempotent)."""
    from secantus import commands, storage

    light_reads.install()
    if hasattr(commands._HANDLERS["aggregate"], "original"):
        return
    original_aggregate = commands._HANDLERS["aggregate"]
    original_find_matching = storage.Storage.find_matching
    original_unframe = storage._unframe_doc_value

    def aggregate(doc: dict[str, Any], ctx: Any) -> Any:
        planned = None
        name = doc.get("aggregate")
        if isinstance(name, str) and "explain" not in doc and not isinstance(
                ctx.storage.get_collection_options(ctx.db_name, name).get("viewOn"), str):
            planned = plan(doc.get("pipeline"))  # (a view's pipeline would come first)
        if planned is None:
            return original_aggregate(doc, ctx)
        pipeline, fields_read, fields, keep_id = planned
        _state.pending = (ctx.db_name, name, fields_read, fields, keep_id)
        try:
            return original_aggregate({**doc, "pipeline": pipeline}, ctx)
        finally:
            _state.pending = None

    def find_matching(self: Any, db: str, coll: str, *args: Any, **kwargs: Any) -> Any:
        pending = getattr(_state, "pending", None)
        if pending is None:
            fields = None
            if "projection" in kwargs and not coll.startswith("system.") and db != "local":
                fields = find_fields(args[0] if args else kwargs.get("filter"),
                                     kwargs.get("sort"), kwargs["projection"],
                                     kwargs.get("min_bound"), kwargs.get("max_bound"))
            if fields is None:
                return original_find_matching(self, db, coll, *args, **kwargs)
            with _reading(fields):
                return original_find_matching(self, db, coll, *args, **kwargs)
        _state.pending = None  # the command's first fetch only
        if pending[:2] != (db, coll):
            raise AssertionError(f"aggregate on {pending[1]} fetched from {coll} first")
        _, _, fields_read, fields, keep_id = pending
        with _reading(fields_read):
            found = original_find_matching(self, db, coll, *args, **kwargs)
        return [project(doc, fields, keep_id) for doc in found]

    def unframe(value: bytes) -> tuple[bytes, bytes]:
        id_key, blob = original_unframe(value)
        reader = getattr(_state, "reader", None)
        if reader is not None:
            light_reads.mark(blob, reader)
        return id_key, blob

    aggregate.original = original_aggregate  # type: ignore[attr-defined]
    find_matching.original = original_find_matching  # type: ignore[attr-defined]
    commands._HANDLERS["aggregate"] = aggregate
    commands._aggregate = aggregate
    storage.Storage.find_matching = find_matching  # type: ignore[method-assign]
    storage._unframe_doc_value = unframe
