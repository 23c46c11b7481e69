"""An index build on the embedded server decodes only the fields it indexes.

SecantusDB builds an index by walking the collection and decoding every document whole
(`bson.decode`) to read the indexed fields. For a customer profile (~1.8 KB: orders, lines,
dozens of money values) that decode is ~17 µs, most of the build, and it is paid once per
index: at scale 10 the two profile indexes decoded 370,000 profiles, 6.2 s of the 20 s build.

Here, while SecantusDB builds an index whose keys are top-level fields (no dotted path, no
partial filter, no geo or special index type), each document the build's scan hands out is
read element by element only up to the indexed fields and `_id`, and just those elements are
decoded, by the same decoder, into a dict. The build uses that dict as it used the whole
document: for the keys, multikey detection, sparse coverage, and the duplicate-key error
(`_id` and the key's value). Exact: the decoder gives an element's value (a subdocument or
an array whole, so multikey arrays and `_id` documents included) whatever else the document
holds, and SecantusDB stores every document as `bson.encode(dict)` (or, for the platform's
inserts stored as sent by `raw_inserts`, as the driver's encoder wrote them), so no stored
document repeats a top-level key. A document with a BSON type this reader does not know is
decoded whole, as before.

How it is put in place (`install()`, only in the embedded server's own process,
`embedded_process.py`): `Storage.create_index` and `Storage._scan_docs` are wrapped so that,
during such a build, each blob the scan yields is marked on the build's own thread for
`light_reads` to read lightly (its first decode, which the build does at once); every other
decode is the driver's. tests/unit/test_index_build.py compares the index entries, catalog
options and errors with SecantusDB's own build.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from retail.nosql import light_reads

_state = threading.local()  # .fields: the fields of the index being built on this thread


def indexed_fields(key_spec: Mapping[str, Any], options: Mapping[str, Any] | None
                   ) -> frozenset[bytes] | None:
    """The top-level fields an index reads, or None when its build keeps decoding whole
    documents (dotted paths, `$` names, special index types, a partial filter)."""
    if (options or {}).get("partialFilterExpression") is not None or not key_spec:
        return None
    for field, direction in key_spec.items():
        if (not isinstance(field, str) or "." in field or field.startswith("$")
                or "\x00" in field or isinstance(direction, str | bool)
                or not isinstance(direction, int | float)):
            return None
    return frozenset(field.encode() for field in key_spec)


def install() -> None:
    """Read lightly in SecantusDB's index builds (this process only; idempotent)."""
    from secantus import storage

    light_reads.install()
    if hasattr(storage.Storage.create_index, "original"):
        return
    original_create_index = storage.Storage.create_index
    original_scan_docs = storage.Storage._scan_docs

    def create_index(self: Any, db: str, coll: str, name: str, key_spec: Mapping[str, Any],
                     options: Mapping[str, Any] | None = None) -> bool:
        fields = indexed_fields(key_spec, options)
        if fields is None:
            return original_create_index(self, db, coll, name, key_spec, options)
        _state.fields = fields
        try:
            return original_create_index(self, db, coll, name, key_spec, options)
        finally:
            _state.fields = None
            light_reads.forget_marks()

    def _scan_docs(self: Any, db: str, coll: str) -> Iterator[tuple[int, bytes, bytes]]:
        fields = getattr(_state, "fields", None)
        if fields is None:
            yield from original_scan_docs(self, db, coll)
            return
        reader = functools.partial(light_reads.read, fields=fields)
        for item in original_scan_docs(self, db, coll):
            light_reads.mark(item[2], reader)
            yield item

    create_index.original = original_create_index  # type: ignore[attr-defined]
    storage.Storage.create_index = create_index  # type: ignore[method-assign]
    storage.Storage._scan_docs = _scan_docs  # type: ignore[method-assign]
