"""The index key of a string field, computed directly, on the embedded server.

For every document an index build (or a write to an indexed collection) gives an index,
SecantusDB asks `_index_key_variants` for the keys the document contributes and
`_doc_makes_multikey` whether it makes the index multikey. Both walk the field's path through
`get_path_values` (which descends into arrays), collect candidates, and deduplicate their
encodings: general work for arrays and dotted paths, paid for every document. The platform's
indexes are on one top-level string field each (the profiles' `customer_key` and
`customer_number`, the events' `session_id`): at scale 10 the two profile indexes spent ~1 s
of the profiles server's CPU there, on the MongoDB step's critical path.

For an index on one field without a dot, no collation, and a document (a dict) whose value at
that field is a `str`, the answer is known without that walk: one key, the value's directed
encoding (`sortkey.encode_value_directed`, as SecantusDB computes it), and not multikey.
Everything else (arrays, subdocuments, missing fields, other types, compound or dotted keys,
collations) is SecantusDB's own functions.

`install()` puts them in place in the embedded server's own process only
(retail/nosql/embedded_process.py). tests/unit/test_fast_index_keys.py compares both with
SecantusDB's over documents and key specs of every shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_original_variants: Callable[..., list[bytes]] | None = None
_original_multikey: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] | None = None
_encode: Callable[..., bytes] | None = None  # sortkey.encode_value_directed


def _string_field(doc: Mapping[str, Any], key_spec: Mapping[str, Any]) -> str | None:
    """The one field of `key_spec` when it is top-level and `doc` holds a `str` there."""
    if len(key_spec) != 1 or not isinstance(doc, dict):
        return None
    (field,) = key_spec
    if type(field) is not str or "." in field or type(doc.get(field)) is not str:
        return None
    return field


def index_key_variants(doc: Mapping[str, Any], key_spec: Mapping[str, Any], *, sparse: bool,
                       collation: Any = None) -> list[bytes]:
    """`storage._index_key_variants`, a top-level string value's key computed directly."""
    if collation is None:
        field = _string_field(doc, key_spec)
        if field is not None:
            assert _encode is not None, "fast_index_keys.install() first"
            return [_encode(doc[field], int(key_spec[field]), collation=None)]
    assert _original_variants is not None, "fast_index_keys.install() first"
    return _original_variants(doc, key_spec, sparse=sparse, collation=collation)


def doc_makes_multikey(doc: Mapping[str, Any], key_spec: Mapping[str, Any]) -> bool:
    """`storage._doc_makes_multikey`: a top-level string value never makes an index
    multikey."""
    if _string_field(doc, key_spec) is not None:
        return False
    assert _original_multikey is not None, "fast_index_keys.install() first"
    return _original_multikey(doc, key_spec)


def install() -> None:
    """Compute string keys here in SecantusDB's storage (this process only; idempotent)."""
    global _original_variants, _original_multikey, _encode
    from secantus import sortkey, storage

    if _original_variants is None:
        _original_variants = storage._index_key_variants
        _original_multikey = storage._doc_makes_multikey
        _encode = sortkey.encode_value_directed
    storage._index_key_variants = index_key_variants
    storage._doc_makes_multikey = doc_makes_multikey
