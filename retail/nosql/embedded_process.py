"""The embedded MongoDB server's own process: `python -m retail.nosql.embedded_process FOLDER`.

retail/nosql/server.py starts it and talks to it over the MongoDB wire protocol. The server
(SecantusDB: pure Python over WiredTiger) runs here rather than in the run's process because it
is CPU-bound Python: in-process it shared the run's GIL, so the client's work (DuckDB reads,
building and encoding documents) and the server's (decoding, storing, indexing) took turns on
one core. In its own process both sides work at once on a two-core machine.

Protocol: the parent holds the data folder's lock and passes it open to this process (so the
folder stays locked until this process has stopped its server, even if the parent died first).
This process starts the server on a free loopback port and prints `serving HOST PORT` (or
`error MESSAGE`) on stdout, then serves until its stdin closes: the parent closing the pipe, or
the parent's death. So no server outlives the run that started it.

Garbage collection: an aggregation on SecantusDB first turns every document of the collection
into Python objects (tens of millions at scale 10), and Python's default thresholds then run a
full cyclic collection over all of them again and again as they are built. Those objects hold
no reference cycles (freed by reference counting), so the young generations are collected
100x less often and the oldest one rarely (`GC_THRESHOLDS`): measured at scale 10 the funnel
pass took 55.0 s instead of 70.2 s (48.9 s with the collector off), same peak memory (4.8 GB).

Hot paths of the libraries under the server are replaced in this process only, each by a
function that gives the same bytes and values, tested against the original (tests/unit/):
- WiredTiger's pure-Python key and value packing, which parsed its format string on every call
  (`wiredtiger_packing`, test_wiredtiger_packing.py);
- the driver's `Decimal128.from_bid`, which its C decoder calls for every money value of a
  profile it reads (`decimals.install_fast_from_bid`, test_decimals.py);
- SecantusDB's `$group` stage, which evaluated every field path through its general expression
  evaluator (`fast_group`, test_fast_group.py);
- its index builds and aggregations, which decoded every document whole to read a few of its
  fields (`index_build`, `projected_reads`, both through `light_reads`; test_index_build.py,
  test_projected_reads.py); `index_build` also writes a build's entries in key order, not one
  at a time wherever its key fell in the B-tree, and reads the collection once for all the
  indexes of one command (test_index_build_one_scan.py);
- the check of a find's filter on every document it fetched, when the filter is a range of one
  string field: the parts of an aggregation pass over `events` (`fast_range`,
  test_fast_range.py);
- the stored key of an integer `_id` (the profiles'), which SecantusDB computed through
  `Decimal` (`fast_id_key`, test_fast_id_key.py);
- the index key of a top-level string field (the profiles' and the events' indexes), which
  SecantusDB found through its general walk of paths and arrays (`fast_index_keys`,
  test_fast_index_keys.py);
- a count of a whole collection, by its rows' keys instead of copying out every document
  (`fast_count`, test_fast_count.py): the load ledger checks `events` and the profiles by their
  counts on every run.
One more saves work only for this platform's own writers: an insert whose client marks its
documents as canonical BSON stores their bytes as sent, without SecantusDB's decode and encode
round trip, where its insert reads nothing else of them than `_id` (`raw_inserts`), each
as its two rows written through WiredTiger's raw cursor calls (`raw_insert_writes`);
test_raw_inserts.py compares the stored rows both ways.
"""

from __future__ import annotations

import contextlib
import gc
import socket
import sys
from pathlib import Path
from typing import Any


def stop_server(server: Any) -> None:
    """Stop the server. Shutting the listening socket down first wakes the accept thread at
    once (on Linux, closing it does not, and `stop()` then waits 2 s for the join to time out)."""
    listener = getattr(server, "_socket", None)
    if listener is not None:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
    server.stop()


GC_THRESHOLDS = (100_000, 50, 100)  # Python's defaults: (700, 10, 10)


def serve(folder: Path) -> int:
    from secantus import SecantusDBServer

    from retail.nosql import (
        fast_count,
        fast_group,
        fast_id_key,
        fast_index_keys,
        fast_range,
        index_build,
        projected_reads,
        raw_inserts,
        wiredtiger_packing,
    )
    from retail.nosql.decimals import install_fast_from_bid

    gc.set_threshold(*GC_THRESHOLDS)
    install_fast_from_bid()
    wiredtiger_packing.install()
    fast_group.install()
    fast_range.install()
    fast_id_key.install()
    fast_index_keys.install()
    index_build.install()
    projected_reads.install()
    raw_inserts.install()
    fast_count.install()
    server = None
    try:
        server = SecantusDBServer(
            host="127.0.0.1",
            port=0,
            storage_path=str(folder / "secantus"),
            replica_set_name=None,  # standalone: no oplog writes, we use no change streams
            enable_test_commands=False,
        )
        server.start()
    except Exception as exc:
        if server is not None:  # storage opened but no socket: release WiredTiger's lock
            with contextlib.suppress(Exception):
                server.stop()
        print(f"error {type(exc).__name__}: {exc}".replace("\n", " "), flush=True)
        return 1
    host, port = server.address
    print(f"serving {host} {port}", flush=True)
    try:
        sys.stdin.read()  # until the parent closes the pipe or dies
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1])))
