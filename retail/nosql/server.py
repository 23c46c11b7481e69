"""Which MongoDB the platform talks to, and the lifecycle of the embedded one.

`MONGODB_URI` set: that server is used (database `retail` unless the URI names one).
Unset: an embedded SecantusDB server (a MongoDB wire-protocol server on WiredTiger, pure
Python + the WiredTiger C library) is started IN-PROCESS, in background threads, on a free
loopback port, with its data under `settings.mongo_data_dir` so documents survive between runs.
It is stopped when the last user in the process leaves the context.

In-process (not a subprocess) because `SecantusDBServer` is a plain class with `start()`/`stop()`
that binds port 0 and serves from daemon threads: no port race, no orphan process if we crash,
and start-up takes ~0.1 s. Its costs: the server shares our GIL, and WiredTiger allows one
process per data folder. So within a process the server is shared (reference-counted), and
across processes an exclusive file lock makes a second process (e.g. a parallel Dagster step)
wait for the first instead of failing on WiredTiger's lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from retail.errors import RetailError, UsageError
from retail.nosql.redact import redact_text
from retail.settings import Settings

DEFAULT_DATABASE = "retail"
LOCK_WAIT_SECONDS = 300.0
SERVER_SELECTION_TIMEOUT_MS = 10_000


class MongoUnavailableError(RetailError):
    """The MongoDB server cannot be reached or started (message never holds credentials)."""


class MongoUriError(UsageError):
    """MONGODB_URI is malformed or names a file that cannot be read (exit 2; no credentials)."""


class MongoOperationError(RetailError):
    """A MongoDB command failed during a run (message never holds credentials)."""


def database_name(uri: str | None) -> str:
    """The database a URI names (`mongodb://h/shop?x=1` -> `shop`), else `retail`.

    Parsed by hand, because pymongo's parser resolves `mongodb+srv` hosts over DNS.
    """
    if not uri or "://" not in uri:
        return DEFAULT_DATABASE
    rest = uri.split("://", 1)[1].split("?", 1)[0]
    rest = rest.rsplit("@", 1)[-1]
    _hosts, _, name = rest.partition("/")
    return name or DEFAULT_DATABASE


@dataclass
class _Embedded:
    server: Any
    lock_file: IO[str]
    users: int = 0


_embedded: dict[Path, _Embedded] = {}
_embedded_guard = threading.Lock()


def _acquire_folder_lock(folder: Path) -> IO[str]:
    """Exclusive lock on the data folder; waits while another process serves it."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / "retail-embedded.lock").open("a+")
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise MongoUnavailableError(
                    f"the embedded MongoDB data folder {folder} is still in use by another "
                    f"process after {LOCK_WAIT_SECONDS:.0f}s; stop it or set MONGODB_URI"
                ) from None
            time.sleep(0.2)


def _start_embedded(folder: Path) -> _Embedded:
    from secantus import SecantusDBServer

    lock_file = _acquire_folder_lock(folder)
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
        lock_file.close()
        raise MongoUnavailableError(
            f"cannot start the embedded MongoDB server on {folder}: {exc}"
        ) from exc
    return _Embedded(server, lock_file)


def _stop(server: Any) -> None:
    """Stop the server. Shutting the listening socket down first wakes the accept thread at
    once (on Linux, closing it does not, and `stop()` then waits 2 s for the join to time out)."""
    listener = getattr(server, "_socket", None)
    if listener is not None:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
    server.stop()


@contextlib.contextmanager
def embedded_server_uri(folder: Path) -> Iterator[str]:
    """URI of the embedded server for `folder`, started on first use, stopped after last use."""
    folder = Path(folder).resolve()
    with _embedded_guard:
        entry = _embedded.get(folder) or _start_embedded(folder)
        _embedded[folder] = entry
        entry.users += 1
    try:
        host, port = entry.server.address
        yield f"mongodb://{host}:{port}/"
    finally:
        with _embedded_guard:
            entry.users -= 1
            if entry.users == 0:
                del _embedded[folder]
                try:
                    _stop(entry.server)
                finally:
                    entry.lock_file.close()


def _connect(uri: str) -> Any:
    """A MongoClient that has answered a ping, or a clear error without credentials."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    options: dict[str, Any] = {"tz_aware": True}
    if "serverselectiontimeoutms" not in uri.lower():  # keyword arguments would override the URI
        options["serverSelectionTimeoutMS"] = SERVER_SELECTION_TIMEOUT_MS
    shown = redact_text(uri, uri)
    try:
        client: Any = MongoClient(uri, **options)
    except (PyMongoError, ValueError, TypeError) as exc:  # malformed URI, bad option
        raise MongoUriError(
            f"MONGODB_URI: invalid MongoDB URI {shown}: {redact_text(str(exc), uri)}"
        ) from None
    except OSError as exc:  # a file the URI names (tlsCAFile, tlsCertificateKeyFile, ...)
        what = redact_text(str(exc.filename or exc), uri)
        raise MongoUriError(
            f"MONGODB_URI: invalid MongoDB URI {shown}: cannot read {what}: "
            f"{exc.strerror or type(exc).__name__}"
        ) from None
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        client.close()
        raise MongoUnavailableError(
            f"cannot reach MongoDB at {shown}: {redact_text(str(exc), uri)}"
        ) from None
    return client


@contextlib.contextmanager
def mongo_client(settings: Settings) -> Iterator[Any]:
    """A connected `pymongo.MongoClient` (tz-aware dates) for the run; cleaned up afterwards.

    Use `client[database_name(settings.mongodb_uri)]`, or `mongo_database`, for the database.
    """
    from pymongo.errors import PyMongoError

    with contextlib.ExitStack() as stack:
        uri = settings.mongodb_uri or stack.enter_context(
            embedded_server_uri(settings.mongo_data_dir)
        )
        client = _connect(uri)
        stack.callback(client.close)
        try:
            yield client
        except PyMongoError as exc:  # a driver error mid-run: a clear message, no credentials
            raise MongoOperationError(
                f"MongoDB at {redact_text(uri, uri)} failed: {type(exc).__name__}: "
                f"{redact_text(str(exc), uri)}"
            ) from None


@contextlib.contextmanager
def mongo_database(settings: Settings, name: str | None = None) -> Iterator[Any]:
    """The platform's `pymongo` Database (`retail` unless MONGODB_URI or `name` says otherwise)."""
    with mongo_client(settings) as client:
        yield client[name or database_name(settings.mongodb_uri)]
