"""A warm dbt for the run: one process imports dbt once and forks a child per dbt invocation.

Why: every dbt step of a run starts a `dbt` process (dagster-dbt runs the executable and reads
its JSON log lines), and each fresh process spends 2-3 s of CPU importing dbt before it does
anything. This server (`python -m orchestration.dbt_forkserver`, like multiprocessing's
forkserver) imports dbt, its DuckDB adapter and what a build imports lazily, once, compiles
what each invocation would compile again (`warm`), then serves
each connection of orchestration/dbt_client.py (the resource's `dbt_executable`) by forking a
child that runs exactly what the `dbt` console script runs (`sys.exit(cli())`) with the
client's argv, environment, cwd and stdin/stdout/stderr (received with SCM_RIGHTS).

Lifecycle (as retail/nosql/embedded_process.py): `serving()` (used by orchestration/runner.py)
creates the listening Unix socket in a private temp dir, hands it to the server and goes on at
once (clients that connect while the server still imports wait in the backlog). The server
exits when its stdin closes (the run's end, or the run's death), after reporting the exit codes
of children still running. The socket is `dbt_client.socket_path(<pid of the run>)`: a client
finds the server of the process that started it (dagster-dbt's in-process step) by its parent
pid, so nothing is written to the environment; anywhere else (`dagster dev`, whose steps run in
their own processes, tests, scripts) the client runs the real dbt, as before.

One difference from `dbt`, for `dbt build` only (what a run's Dagster steps run): a child
writes no `manifest.json` (nor `semantic_manifest.json`) and no `graph.gpickle` into the build's
target folder (`skip_build_artifacts`). dagster-dbt gives every invocation a target folder of its
own, which the step deletes when dbt succeeds (orchestration/dbt_build.py); dbt writes the whole
project's manifest there twice, after reading the project and again at the end, and its graph
with every node serialized once, and nothing reads them: Dagster has the project's manifest from
the run's `dbt parse`, and the step reads only run_results.json, which is still written (so are
the compiled SQL files, for a failed build's folder). Measured on a real-size extract: 0.15-0.2 s
per manifest write, four writes on the run's critical path, and ~0.15 s per graph, before each
build's first node. `dbt parse` and every other command write as dbt does.
And a child's `dbt build` describes each model it builds, for the step to report it while dbt
runs (orchestration/dbt_describe.py).

Protocol (one connection per invocation): the client sends an 8-byte length with its fds
(0, 1, 2), then that many bytes of JSON {argv, env, cwd}. The server answers `pid N` once the
child runs, then `exit N` or `signal N` from waitpid; or `refused REASON` (the client then
runs the real dbt). The server forks only while single-threaded.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orchestration import dbt_describe
from orchestration.dbt_client import socket_path
from retail.child_process import lower_this_threads_priority, stop_by_stdin

HEADER = struct.Struct("!Q")
# Imported once before serving: the CLI, the adapter, and the modules a `dbt build` of this
# project imports lazily (measured: what sys.modules gains during an in-process build).
PRELOAD = (
    "dbt.cli.main",
    "dbt.adapters.duckdb",
    "dbt.adapters.duckdb.impl",
    "dbt.task.build",
    "dbt.task.compile",
    "dbt.task.function",
    "dbt.task.printer",
    "dbt.compilation",
    "dbt.runners",
    "dbt.parser.sql",
    "dbt.parser.schema_yaml_readers",
    "dbt.graph.thread_pool",
    "dbt_common.clients.agate_helper",
    "sqlparse",
    "daff",
    "babel.dates",
    "google.protobuf.descriptor_pb2",
    "multiprocessing.pool",
    "multiprocessing.dummy",
    "_strptime",
)
# How much nicer than the run the server's preparation runs (importing and compiling dbt, ~2.5 s
# of a core as a run starts): the run's own start-up (its imports, Dagster's instance and run)
# is on the run's path, and on two cores it shared one with this.
PREPARE_NICENESS = 5
STOP_WAIT_SECONDS = 30.0
REQUEST_TIMEOUT_SECONDS = 10.0


def preload() -> None:
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def warm(partial_parse: str | None) -> None:
    """Compile, once and before any fork, what every dbt invocation would compile in its child.

    Why: dbt-core's dataclasses build their (de)serializers on first use (mashumaro's lazy
    compilation) and their JSON schemas once per class (lru_cache). A forked child that finds
    them built skips that work. Measured on a real-size extract: 1.2 s here once, then ~1.1 s
    less of every `dbt build` step (7.8 -> 6.7 s for the staging models; their own time 4.6 s).
    What it runs is what an invocation runs: validating the project, flags, profile and
    credentials, then reading the project's saved parse (`partial_parse.msgpack`, which the
    run's `dbt parse` wrote and every step reads), flattening it and writing it out as the
    manifest (in memory). Only speed depends on it: any failure leaves the children to
    compile for themselves, as without it.
    """
    with contextlib.suppress(Exception):
        from dbt.adapters.duckdb.credentials import DuckDBCredentials
        from dbt.contracts.project import Configuration, PackageConfig, ProfileConfig, ProjectFlags
        from dbt.contracts.project import Project as ProjectContract

        for contract in (ProjectContract, ProjectFlags, ProfileConfig, Configuration,
                         PackageConfig, DuckDBCredentials):
            contract.json_schema()
    if not partial_parse or not os.path.isfile(partial_parse):
        return
    with contextlib.suppress(Exception):
        from argparse import Namespace

        from dbt.contracts.graph.manifest import Manifest
        from dbt.flags import set_from_args

        set_from_args(Namespace(SEND_ANONYMOUS_USAGE_STATS=False), None)  # every child sets its own
        with open(partial_parse, "rb") as saved:
            manifest = Manifest.from_msgpack(saved.read())
        manifest.build_flat_graph()
        manifest.writable_manifest().to_dict(omit_none=False)


def skip_build_artifacts() -> None:
    """Make `dbt build` write no manifest and no graph.gpickle in this process and its children
    (see the module)."""
    import dbt.parser.manifest as parser_manifest
    import dbt.task.runnable as runnable
    from dbt.compilation import Compiler
    from dbt.flags import get_flags

    def building() -> bool:
        return getattr(get_flags(), "WHICH", None) == "build"

    write = parser_manifest.write_manifest
    write_graph_file = Compiler.write_graph_file

    def write_unless_build(manifest: Any, *args: Any, **kwargs: Any) -> None:
        if not building():
            write(manifest, *args, **kwargs)
        else:  # what writing it does to the manifest in memory, without the file
            manifest.build_parent_and_child_maps()
            manifest.build_group_map()

    def write_graph_unless_build(self: Any, *args: Any, **kwargs: Any) -> None:
        if not building():
            write_graph_file(self, *args, **kwargs)

    parser_manifest.write_manifest = runnable.write_manifest = write_unless_build
    Compiler.write_graph_file = write_graph_unless_build


def single_threaded() -> bool:
    """Forking a multi-threaded process can copy a lock some other thread holds."""
    try:
        tasks = len(os.listdir("/proc/self/task"))
    except OSError:
        tasks = 1
    return threading.active_count() == 1 and tasks == 1


def prepare(partial_parse: str | None) -> None:
    """Import and compile what every child needs, in a thread `PREPARE_NICENESS` nicer than
    the server (see the constant); the children are forked from the server's own thread, at
    its priority. An error is raised here, as if prepared in the server's thread."""
    errors: list[BaseException] = []

    def work() -> None:
        try:
            lower_this_threads_priority(PREPARE_NICENESS)
            preload()
            skip_build_artifacts()
            dbt_describe.install()
            warm(partial_parse)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work, name="dbt-prepare")
    thread.start()
    thread.join()
    deadline = time.monotonic() + 1.0  # the kernel lists a joined thread a moment longer
    while not single_threaded() and time.monotonic() < deadline:
        time.sleep(0.001)
    if errors:
        raise errors[0]


def _receive(conn: socket.socket) -> tuple[list[int], dict[str, Any]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, HEADER.size, 3)
    try:
        while len(data) < HEADER.size:
            chunk = conn.recv(HEADER.size - len(data))
            if not chunk:
                raise ConnectionError("request cut short")
            data += chunk
        (size,) = HEADER.unpack(data)
        body = bytearray()
        while len(body) < size:
            chunk = conn.recv(min(size - len(body), 1 << 16))
            if not chunk:
                raise ConnectionError("request cut short")
            body += chunk
        if len(fds) != 3:
            raise ConnectionError(f"expected 3 file descriptors, got {len(fds)}")
        return fds, json.loads(body)
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def _exit_code(exc: SystemExit) -> int:
    """What the interpreter makes of `sys.exit(value)`."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def _run_dbt(request: dict[str, Any]) -> int:
    """In the child: what the `dbt` console script runs, in the client's place."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = list(request["argv"])
    script = types.ModuleType("__main__")  # as the `dbt` script's (click names the program
    script.__file__ = sys.argv[0]  # after argv[0] unless __main__ is a package's module)
    sys.modules["__main__"] = script
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # dagster-dbt reads dbt's events live
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from dbt.cli.main import cli

    try:
        sys.exit(cli())
    except SystemExit as exc:
        return _exit_code(exc)
    except KeyboardInterrupt:
        traceback.print_exc()
        return -signal.SIGINT
    except BaseException:
        traceback.print_exc()
        return 1


def _child(fds: list[int], request: dict[str, Any], inherited: list[int]) -> None:
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in inherited:
            with contextlib.suppress(OSError):
                os.close(fd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        code = _run_dbt(request)
        with contextlib.suppress(Exception):
            import atexit

            atexit._run_exitfuncs()  # what a dbt process runs at exit (log handlers' flush)
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        if code < 0:  # died of a signal, as an interrupted interpreter does
            signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
        os._exit(code if code >= 0 else 1)


def serve(listener: socket.socket, partial_parse: str | None = None) -> int:
    """Serve until stdin closes, then until the running children have been reported."""
    prepare(partial_parse)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the select through wake_w
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the clients forward interrupts
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(0, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    children: dict[int, socket.socket] = {}
    accepting = True
    while accepting or children:
        for key, _events in selector.select(timeout=1.0):
            if key.fileobj is listener:
                inherited = [listener.fileno(), wake_r, wake_w,
                             *(c.fileno() for c in children.values())]
                _accept(listener, children, inherited)
            elif key.fileobj == 0:
                if not os.read(0, 1 << 16):  # the run closed the pipe or died
                    selector.unregister(0)
                    selector.unregister(listener)
                    listener.close()
                    accepting = False
            else:
                with contextlib.suppress(BlockingIOError):
                    while os.read(wake_r, 512):
                        pass
        _reap(children)
    return 0


def _accept(listener: socket.socket, children: dict[int, socket.socket],
            inherited: list[int]) -> None:
    conn, _addr = listener.accept()
    conn.settimeout(REQUEST_TIMEOUT_SECONDS)
    try:
        fds, request = _receive(conn)
    except (OSError, ValueError):
        conn.close()
        return
    try:
        if not single_threaded():
            conn.sendall(b"refused the server has more than one thread\n")
            conn.close()
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(fds, request, [*inherited, conn.fileno()])
        children[pid] = conn
        with contextlib.suppress(OSError):
            conn.sendall(f"pid {pid}\n".encode())
    finally:
        for fd in fds:
            os.close(fd)  # only the child holds the client's streams (dagster-dbt sees EOF)


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        message = f"exit {code}\n" if code >= 0 else f"signal {-code}\n"
        with contextlib.suppress(OSError):
            conn.sendall(message.encode())
        conn.close()


def _private_folder(path: str) -> None:
    """Create the socket's folder for this user only; refuse one another user could reach."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    info = os.stat(folder)
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{folder} is not private to this user")


def start(partial_parse: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """The server process and its socket path (`socket_path` of this process); raises OSError.
    `partial_parse`: the project's saved parse, which the server reads once to `warm` up.

    Costs a few milliseconds: the socket listens on return, the server imports dbt in the
    background (a client that connects meanwhile waits in the backlog)."""
    path = socket_path(os.getpid())
    _private_folder(path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # left by a crashed process that had this pid
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(path)
            listener.listen(64)
            process = subprocess.Popen(
                [sys.executable, "-m", "orchestration.dbt_forkserver", str(listener.fileno()),
                 *([str(partial_parse)] if partial_parse else [])],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=[listener.fileno()], start_new_session=True,
            )
    except OSError:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    return process, path


_serving: list[str] = []  # the socket of this process's server while `serving()` is active


@contextlib.contextmanager
def serving(partial_parse: Path | None = None) -> Iterator[str | None]:
    """A warm dbt server for the duration of the context, listening on `socket_path` of this
    process: the clients dagster-dbt starts from here find it by their parent's pid (nothing is
    written to the environment). Yields the path, or None where no server could start (the
    clients then run the real dbt). Nested use shares the outer server. `partial_parse`: see
    `start`."""
    if _serving:
        yield _serving[0]
        return
    try:
        process, path = start(partial_parse)
    except OSError:
        yield None
        return
    _serving.append(path)
    try:
        yield path
    finally:
        _serving.clear()
        stop(process)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Close the server's stdin; it exits once its running children (none, normally) ended."""
    stop_by_stdin(process, STOP_WAIT_SECONDS)


if __name__ == "__main__":
    code = serve(socket.socket(fileno=int(sys.argv[1])), *sys.argv[2:3])
    sys.stdout.flush()
    sys.stderr.flush()
    # Nothing is left to close or write; tearing down an interpreter that imported dbt would
    # take ~0.5 s, which the run's end waits for (`stop`).
    os._exit(code)
