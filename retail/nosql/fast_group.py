"""`$group` with field paths read directly, for the embedded server's aggregation passes.

SecantusDB runs `$group` in Python: for every document it evaluates the `_id` expression and
each accumulator's argument through its general expression evaluator, which builds an
evaluation context (a copy of the pipeline's variables) and splits the field path again on
every call. Profiled in the server during `retail run --scale 10` (50 Hz), `$group` was 21.8 s
of the 38.3 s the aggregation pass took, most of it in that per-call set-up, not in grouping.

The passes' groups (retail/nosql/pipelines.py) are simple: `_id` is a field path or a document
of field paths, and the accumulators are `$sum` of 1 or of a field path and `$push` of a field
path. For those, `stage_group` reads each path with a walk through plain dicts, planned once per
stage, and hands anything else to SecantusDB's own code, so every result is the one SecantusDB
gives, field order included:

- a stage of another shape (another accumulator, a collation, a malformed spec) runs SecantusDB's
  `_stage_group` as it is, errors included;
- a document where a path is absent or does not run through dicts gets its `_id` from
  SecantusDB's evaluator, and the accumulator its handler (absent values are null as an `_id`,
  skipped by `$push`, ignored by `$sum`, exactly as there);
- a group key that is not a string, a plain int or null is made hashable by SecantusDB's
  `_hashable` (bools, NaN, decimals and JavaScript code group the way mongod groups them);
- a sum that is not of two plain ints staying within int32 goes through SecantusDB's
  `bson_sum` (BSON's int32 / int64 / double / decimal widening).

`install()` puts it in place of `$group` in SecantusDB's stage table; only
`embedded_process.py` calls it, in the server's own process. A real MongoDB is not affected.
Measured on 60,000 buckets of the scale-10 events (the server's GC settings), the same bytes
out: the funnel's two groups 0.65 + 1.28 -> 0.44 + 1.03 s, the product views' (product,
session) group 1.09 -> 0.60 s. A document `_id` of two field paths (the (product, session) and
(product, day) groups) is read and hashed without the general loop and sort
(`_pair_key`): the pass over `events` at scale 10, alone, 16.4 -> 15.5 s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from secantus import aggregate
from secantus.expressions import evaluate
from secantus.numerics import bson_sum

_ABSENT: Any = object()  # a path that is absent or does not run through plain dicts
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_original: Callable[..., list[dict[str, Any]]] | None = None


def _field_path(expr: Any) -> tuple[str, ...] | None:
    """The parts of a field path (`"$a.b"`), or None when `expr` is anything else."""
    if not isinstance(expr, str) or not expr.startswith("$") or expr.startswith("$$"):
        return None
    parts = tuple(expr[1:].split("."))
    return parts if all(parts) else None


def _read(doc: Any, parts: tuple[str, ...]) -> Any:
    """The value at `parts` when every step is a plain dict holding it, else _ABSENT."""
    value = doc
    for part in parts:
        if type(value) is not dict:
            return _ABSENT
        value = value.get(part, _ABSENT)
        if value is _ABSENT:
            return _ABSENT
    return value


class _Plan:
    """How `stage_group` reads a stage: its `_id` (`path`: one field path; `members`: a
    document, as (name, its path parts or None, its expression); neither: SecantusDB evaluates
    it) and its accumulators (field, op, argument, the argument's path parts or None)."""

    def __init__(self, spec: Mapping[str, Any],
                 accumulators: list[tuple[str, str, Any, tuple[str, ...] | None]]) -> None:
        self.id_expr = spec["_id"]
        self.accumulators = accumulators
        self.path = _field_path(self.id_expr)
        self.members: list[tuple[str, tuple[str, ...] | None, Any]] | None = None
        if (self.path is None and isinstance(self.id_expr, Mapping) and self.id_expr
                and not any(str(name).startswith("$") for name in self.id_expr)):
            self.members = [(name, _field_path(expr), expr)
                            for name, expr in self.id_expr.items()]
        # `_id` a document of two field paths (the passes' (product, session) and (product,
        # day) groups): ((name, parts) of each, in the spec's order), for `_pair_key`
        self.pair: tuple[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]] | None = None
        if (self.members is not None and len(self.members) == 2
                and all(type(name) is str and parts is not None
                        for name, parts, _ in self.members)):
            (first, first_parts, _), (second, second_parts, _) = self.members
            self.pair = ((first, first_parts), (second, second_parts))  # type: ignore[assignment]


def _plan(spec: Any) -> _Plan | None:
    """The plan of a stage this module runs, else None (SecantusDB runs it)."""
    if not isinstance(spec, Mapping) or "_id" not in spec:
        return None
    accumulators = []
    for field, accumulator in spec.items():
        if field == "_id":
            continue
        if not isinstance(accumulator, Mapping) or len(accumulator) != 1:
            return None
        ((op, arg),) = accumulator.items()
        if op not in ("$sum", "$push"):
            return None
        accumulators.append((field, op, arg, _field_path(arg)))
    return _Plan(spec, accumulators)


def _stand_in(value: Any, hashable: Callable[[Any], Any]) -> Any:
    """SecantusDB's `_hashable(value)`, without its type checks for strings, plain ints, null
    and lists of them (which it returns as they are, lists as tuples)."""
    if value is None or type(value) is str or type(value) is int:
        return value
    if type(value) is list:
        return tuple(_stand_in(item, hashable) for item in value)
    return hashable(value)


def _key(plan: _Plan, doc: Any, variables: dict[str, Any]) -> Any:
    """The group's `_id` as SecantusDB's evaluator gives it, field paths read directly."""
    if plan.path is not None:
        key = _read(doc, plan.path)
        return evaluate(plan.id_expr, doc, variables) if key is _ABSENT else key
    if plan.members is None:
        return evaluate(plan.id_expr, doc, variables)
    key = {}
    for name, parts, expr in plan.members:
        value = _read(doc, parts) if parts is not None else _ABSENT
        if value is _ABSENT:  # SecantusDB's own rule: an absent value leaves the member out
            key.update(evaluate({name: expr}, doc, variables))
        else:
            key[name] = value
    return key


def _pair_key(plan: _Plan, doc: Any, hashable: Callable[[Any], Any]) -> tuple[Any, Any] | None:
    """The `_id` document and its hashed form for a plan with a `pair` of field paths, as
    `_key` and the hashing in `stage_group` give them; None when a path is absent (the general
    way then decides)."""
    (first, first_parts), (second, second_parts) = plan.pair  # type: ignore[misc]
    a = _read(doc, first_parts)
    if a is _ABSENT:
        return None
    b = _read(doc, second_parts)
    if b is _ABSENT:
        return None
    hashed_a, hashed_b = _stand_in(a, hashable), _stand_in(b, hashable)
    hashed = (((first, hashed_a), (second, hashed_b)) if first < second
              else ((second, hashed_b), (first, hashed_a)))
    return {first: a, second: b}, hashed


def stage_group(spec: Any, docs: list[dict[str, Any]], ctx: Any) -> list[dict[str, Any]]:
    """SecantusDB's `$group` stage, with the simple shapes above read directly."""
    plan = _plan(spec) if getattr(ctx, "collation", None) is None else None
    if plan is None:
        return (_original or aggregate._stage_group)(spec, docs, ctx)
    variables, hashable, handlers = ctx.vars, aggregate._hashable, aggregate._ACC_DISPATCH
    is_number = aggregate._is_acc_number
    fresh = [(field, op == "$push") for field, op, _arg, _parts in plan.accumulators]
    groups: dict[Any, dict[str, Any]] = {}
    for doc in docs:
        paired = _pair_key(plan, doc, hashable) if plan.pair is not None else None
        if paired is not None:
            key, hashed = paired
        else:
            key = _key(plan, doc, variables)
            if type(key) is dict:  # `_hashable` of a document: its members sorted by name
                hashed = tuple((name, _stand_in(value, hashable))
                               for name, value in sorted(key.items()))
            else:
                hashed = _stand_in(key, hashable)
        bucket = groups.get(hashed)
        if bucket is None:  # the fields in spec order, as SecantusDB's handlers create them
            bucket = groups[hashed] = {"_id": key}
            for field, is_list in fresh:
                bucket[field] = [] if is_list else 0
        for field, op, arg, parts in plan.accumulators:
            value = _read(doc, parts) if parts is not None else _ABSENT
            if op == "$push":
                if value is _ABSENT:
                    handlers["$push"](bucket, field, arg, doc, variables)
                else:
                    bucket[field].append(value)
                continue
            if parts is None and type(arg) is int and arg == 1:
                value = 1
            if value is _ABSENT:
                handlers["$sum"](bucket, field, arg, doc, variables)
                continue
            total = bucket[field]
            if type(total) is int and type(value) is int and (
                    _INT32_MIN <= total + value <= _INT32_MAX):
                bucket[field] = total + value
            elif is_number(value):
                bucket[field] = bson_sum(total, value)
    return [aggregate._finalize(bucket) for bucket in groups.values()]


def install() -> None:
    """Run `$group` stages through `stage_group` in this process (the embedded server's)."""
    global _original
    if _original is None:
        _original = aggregate._stage_group
    aggregate._stage_group = stage_group
    aggregate._STAGES["$group"] = stage_group
