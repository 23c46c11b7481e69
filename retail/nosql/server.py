"""Which MongoDB the platform talks to, and the lifecycle of the embedded one.

`MONGODB_URI` set: that server is used (database `retail` unless the URI names one).
Unset: an embedded SecantusDB server (a MongoDB wire-protocol server on WiredTiger, pure
Python + the WiredTiger C library) is started in a CHILD PROCESS on a free loopback port
(retail/nosql/embedded_process.py), with its data under `settings.mongo_data_dir` so documents
survive between runs. It is stopped when the last user in this process leaves the context.

A child process, because the server is CPU-bound Python: in-process it shared the run's GIL,
so the client's work and the server's took turns on one core; apart, they overlap on two.
The lifecycle guarantees stay: the server listens on port 0 (no port race); it exits when its
stdin closes, so it never outlives the process that started it, even a crashed one; start-up
is ~0.5 s. WiredTiger allows one process per data folder, so within a process the server is
shared (reference-counted), and across processes an exclusive file lock, held from before the
start until the server has stopped, makes a second process (e.g. a parallel Dagster step) wait
for the first instead of failing on WiredTiger's lock.

Two embedded servers, each its own process and data folder: `customer_profiles` lives on one
(`mongo_database(settings, profiles=True)`, data in `<mongo_data_dir>/profiles`), everything
else (`events`, `products`, the load ledger of the events) on the other (`mongo_database`,
data in `<mongo_data_dir>`). A server is one core of pure Python, and in `retail run` the
profiles are built (after the Spark step) while the aggregation pass over `events` still runs:
on one server the two took turns, on two they use both cores. With `MONGODB_URI` both are that
server's one database.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from retail.child_process import stop_by_stdin
from retail.errors import RetailError, UsageError
from retail.nosql.redact import redact_text
from retail.settings import Settings

DEFAULT_DATABASE = "retail"
LOCK_WAIT_SECONDS = 300.0
SERVER_SELECTION_TIMEOUT_MS = 10_000
# The embedded server is pure Python: a long command (an aggregation over millions of events)
# can keep it from answering the driver's heartbeat for more than pymongo's default 20 s, and a
# missed heartbeat makes the driver reset its pool and cancel the command in flight
# (`_OperationCancelled`, seen after an hour at scale 100). For the embedded server only: poll
# (no streaming hello on a busy server) and allow a slow answer; it is a loopback process.
EMBEDDED_OPTIONS = {"serverMonitoringMode": "poll", "heartbeatFrequencyMS": 60_000,
                    "connectTimeoutMS": 600_000}


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
    process: subprocess.Popen[str]
    address: tuple[str, int]
    lock_file: IO[str]
    users: int = 0


_embedded: dict[Path, _Embedded] = {}
_embedded_guard = threading.Lock()
_early: dict[Path, _Kept] = {}  # see `started_early`
_stopping: dict[Path, threading.Thread] = {}  # see `release_early`
STOP_WAIT_SECONDS = 60.0
# `retail run`'s events server works beside the steps (see `started_early`): it runs this much
# nicer than the run, so the step the run waits on gets the CPU first
BACKGROUND_NICENESS = 10


def _acquire_folder_lock(folder: Path, wait: bool = True) -> IO[str]:
    """Exclusive lock on the data folder; waits while another process serves it (`wait`),
    or raises MongoUnavailableError at once."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / "retail-embedded.lock").open("a+")
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait else 0.0)
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise MongoUnavailableError(
                    f"the embedded MongoDB data folder {folder} is still in use by another "
                    f"process after {LOCK_WAIT_SECONDS:.0f}s; stop it or set MONGODB_URI"
                ) from None
            time.sleep(0.2)


def _start_embedded(folder: Path, wait: bool = True, niceness: int = 0) -> _Embedded:
    """Start the server process on `folder` (locked first; the lock goes to the child too),
    `niceness` nicer than this process."""
    lock_file = _acquire_folder_lock(folder, wait)
    log = folder / "server.log"  # the server's own stderr, for a failed start
    try:
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "retail.nosql.embedded_process", str(folder)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
                pass_fds=(lock_file.fileno(),),
            )
        _lower_priority(process.pid, niceness)
        assert process.stdout is not None
        answer = process.stdout.readline().split()
    except OSError as exc:
        lock_file.close()
        raise MongoUnavailableError(
            f"cannot start the embedded MongoDB server on {folder}: {exc}") from exc
    if answer[:1] != ["serving"]:
        _stop_process(process)
        lock_file.close()
        reason = " ".join(answer[1:]) or log.read_text().strip()[-500:] or "it exited"
        raise MongoUnavailableError(
            f"cannot start the embedded MongoDB server on {folder}: {reason}")
    return _Embedded(process, (answer[1], int(answer[2])), lock_file)


def _stop_process(process: subprocess.Popen[str]) -> None:
    """Close the server's stdin (it stops its server and exits); kill it if it hangs."""
    stop_by_stdin(process, STOP_WAIT_SECONDS)
    if process.stdout is not None:
        process.stdout.close()


def _lower_priority(pid: int, niceness: int) -> None:
    """Make process `pid` `niceness` nicer than this one (where the OS has priorities; an
    unprivileged process may lower a child's priority, never raise it again)."""
    if niceness and hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, 0) + niceness)


@contextlib.contextmanager
def embedded_server_uri(folder: Path, *, wait: bool = True, niceness: int = 0) -> Iterator[str]:
    """URI of the embedded server for `folder`, started on first use, stopped after last use.
    `wait`: for another process to release the folder (else MongoUnavailableError at once).
    `niceness`: how much nicer than this process a server started here runs."""
    folder = Path(folder).resolve()
    with _embedded_guard:
        entry = _embedded.get(folder) or _start_embedded(folder, wait, niceness)
        _embedded[folder] = entry
        entry.users += 1
    try:
        host, port = entry.address
        yield f"mongodb://{host}:{port}/"
    finally:
        with _embedded_guard:
            entry.users -= 1
            if entry.users == 0:
                del _embedded[folder]
                try:
                    _stop_process(entry.process)
                finally:
                    entry.lock_file.close()


class _Kept:
    """The embedded servers `started_early` keeps for a run, each started by its own thread."""

    def __init__(self) -> None:
        self.starts: list[tuple[threading.Thread, contextlib.ExitStack]] = []

    def start(self, folder: Path, niceness: int = 0) -> None:
        stack = contextlib.ExitStack()

        def run() -> None:
            with contextlib.suppress(MongoUnavailableError):  # left to the step (see below)
                stack.enter_context(embedded_server_uri(folder, wait=False, niceness=niceness))

        thread = threading.Thread(target=run, name="mongo-server-start", daemon=True)
        self.starts.append((thread, stack))
        thread.start()

    def release(self) -> None:
        for thread, stack in self.starts:
            thread.join()
            stack.close()


@contextlib.contextmanager
def started_early(settings: Settings) -> Iterator[None]:
    """Start the embedded server of `settings` now, in the background, and keep it (and the
    profiles' server once `start_profiles_early` started it) up until `release_early(settings)`
    or the block's end (`retail run`, orchestration/runner.py).

    Why: each start is ~0.5 s, and the steps waited for it: the bronze step until the early
    events sync had its server, the MongoDB step for the profiles' server and, when that sync
    had ended and stopped it, for the other one again. Started here, the server starts on the
    second core while this process loads the definitions; the profiles' server starts once the
    bronze step is done (the run's start-up has the second core busy enough: the JVM, dbt's
    server). The MongoDB step calls `release_early` once done, so they do not outlive their last
    step. No-op with MONGODB_URI. A server that cannot start early (its folder in use by another
    process) is left to the step that needs it, which waits or reports as before.

    The events server started here runs nicer than the run (`BACKGROUND_NICENESS`): its work
    (the events sync during dbt, the aggregation pass during Spark, see
    retail/nosql/early_sync.py) runs beside the steps, and on two cores it took its share of
    the CPU from the step the run was waiting on. At scale 10 the pass still ran ~12 s into the
    MongoDB step, beside the profiles' build: nicer, it takes what the build leaves, and the
    step went from 19.1 to 17.9 s. When the run waits on that server, nothing else asks for the
    CPU and its priority changes nothing. The profiles' server keeps the run's priority."""
    if settings.mongodb_uri:
        yield
        return
    kept = _Kept()
    with _embedded_guard:
        _early[settings.mongo_data_dir.resolve()] = kept
        kept.start(embedded_folder(settings), BACKGROUND_NICENESS)
    try:
        yield
    finally:
        release_early(settings)
        with _embedded_guard:
            stopping = _stopping.pop(settings.mongo_data_dir.resolve(), None)
        if stopping is not None:
            stopping.join()


def start_profiles_early(settings: Settings) -> None:
    """Start the profiles' server of `settings` in the background, kept like the other one,
    when `started_early` runs for `settings` (else nothing)."""
    with _embedded_guard:
        kept = _early.get(settings.mongo_data_dir.resolve())
        if kept is not None:
            kept.start(embedded_folder(settings, profiles=True))


def release_early(settings: Settings, *, wait: bool = True) -> None:
    """Let go of the servers `started_early` keeps for `settings` (each stops once its last
    user is done). No-op when none are kept. Without `wait`, a server with no other user stops
    in the background (~0.25 s each: WiredTiger's last checkpoint, the process's exit), and
    the end of `started_early`'s block waits for it."""
    key = settings.mongo_data_dir.resolve()
    with _embedded_guard:
        kept = _early.pop(key, None)
        if kept is not None and not wait:
            stopping = threading.Thread(target=kept.release, name="mongo-servers-stop",
                                        daemon=True)
            _stopping[key] = stopping
            stopping.start()
    if kept is not None and wait:
        kept.release()


def embedded_server_pid(folder: Path) -> int | None:
    """The pid of the embedded server this process runs for `folder`, if it runs one."""
    entry = _embedded.get(Path(folder).resolve())
    return entry.process.pid if entry is not None else None


def _embedded_server_gone(folder: Path) -> str | None:
    """Why the embedded server for `folder` is no longer running, or None while it runs.

    A driver error after the server's process died reads `Connection refused`, which names
    neither the cause nor the way out; this says how the process ended instead.
    """
    entry = _embedded.get(Path(folder).resolve())
    if entry is None:
        return None
    with contextlib.suppress(subprocess.TimeoutExpired):
        entry.process.wait(timeout=1.0)  # a dying process: let it be reaped
    code = entry.process.returncode
    if code is None:
        return None
    if code >= 0:
        how = f"exited with code {code}"
    else:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        how = f"was killed by {name}"
        if -code == signal.SIGKILL:
            how += (" (on Linux most often the kernel's out-of-memory killer: the embedded "
                    "server holds its working set in this machine's memory)")
    return (f"the embedded MongoDB server (process {entry.process.pid}, data in {folder}) "
            f"{how}. For data of this size use a real MongoDB: set MONGODB_URI.")


def _connect(uri: str, embedded: bool = False) -> Any:
    """A MongoClient that has answered a ping, or a clear error without credentials."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    options: dict[str, Any] = {"tz_aware": True, **(EMBEDDED_OPTIONS if embedded else {})}
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


PROFILES_FOLDER = "profiles"  # the embedded profiles server's data, under mongo_data_dir


def embedded_folder(settings: Settings, *, profiles: bool = False) -> Path:
    """The data folder of the embedded server holding the profiles, or everything else."""
    return settings.mongo_data_dir / PROFILES_FOLDER if profiles else settings.mongo_data_dir


@contextlib.contextmanager
def mongo_client(settings: Settings, *, profiles: bool = False) -> Iterator[Any]:
    """A connected `pymongo.MongoClient` (tz-aware dates) for the run; cleaned up afterwards.

    Use `client[database_name(settings.mongodb_uri)]`, or `mongo_database`, for the database.
    `profiles`: the server of `customer_profiles` (the same as the other with MONGODB_URI).
    """
    from pymongo.errors import PyMongoError

    folder = embedded_folder(settings, profiles=profiles)
    with contextlib.ExitStack() as stack:
        uri = settings.mongodb_uri or stack.enter_context(embedded_server_uri(folder))
        client = _connect(uri, embedded=not settings.mongodb_uri)
        stack.callback(client.close)
        try:
            yield client
        except PyMongoError as exc:  # a driver error mid-run: a clear message, no credentials
            gone = None if settings.mongodb_uri else _embedded_server_gone(folder)
            raise MongoOperationError(gone or (
                f"MongoDB at {redact_text(uri, uri)} failed: {type(exc).__name__}: "
                f"{redact_text(str(exc), uri)}"
            )) from None


@contextlib.contextmanager
def mongo_database(settings: Settings, name: str | None = None, *,
                   profiles: bool = False) -> Iterator[Any]:
    """The platform's `pymongo` Database (`retail` unless MONGODB_URI or `name` says otherwise);
    with `profiles`, the one that holds `customer_profiles`."""
    with mongo_client(settings, profiles=profiles) as client:
        yield client[name or database_name(settings.mongodb_uri)]
