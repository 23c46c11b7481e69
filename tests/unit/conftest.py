"""A real SecantusDB server in the test process, for the tests of the embedded server's patches
(test_projected_reads.py, test_raw_inserts.py): the tests install a patch, speak to the server
through pymongo, and compare with SecantusDB's own functions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from secantus import SecantusDBServer


@pytest.fixture(scope="module")
def secantus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecantusDBServer]:
    """A standalone server (no oplog, no test commands) on a free loopback port, one per test
    module; `server.address` is its (host, port)."""
    server = SecantusDBServer(host="127.0.0.1", port=0,
                              storage_path=str(tmp_path_factory.mktemp("secantus")),
                              replica_set_name=None, enable_test_commands=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()
