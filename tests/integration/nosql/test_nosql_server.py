"""The server lifecycle: embedded SecantusDB (real wire protocol) and credential redaction."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from nosql_fixtures import settings_under

from retail.errors import RetailError
from retail.nosql import (
    MongoUnavailableError,
    MongoUriError,
    database_name,
    mongo_client,
    mongo_database,
)
from retail.nosql.redact import redact_text, redact_uri


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_embedded_server_keeps_documents_between_runs(tmp_path: Path) -> None:
    settings = settings_under(tmp_path)
    with mongo_database(settings) as db:
        assert db.name == "retail"
        db.things.insert_one({"_id": 1, "name": "kept"})
    assert (settings.mongo_data_dir / "secantus").is_dir()
    with mongo_database(settings) as db:
        assert db.things.find_one({"_id": 1}) == {"_id": 1, "name": "kept"}


def test_nested_use_in_one_process_shares_one_server(tmp_path: Path) -> None:
    settings = settings_under(tmp_path)
    with mongo_client(settings) as outer, mongo_client(settings) as inner:
        assert outer.address == inner.address
        inner.retail.things.insert_one({"_id": "x"})
        assert outer.retail.things.count_documents({}) == 1
    with mongo_client(settings) as again:  # stopped and restarted: a fresh port is fine
        assert again.retail.things.count_documents({}) == 1


@pytest.mark.logic
@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (None, "retail"),
        ("mongodb://localhost:27017", "retail"),
        ("mongodb://localhost:27017/", "retail"),
        ("mongodb://u:p@h1:1,h2:2/shop?authSource=admin", "shop"),
        ("mongodb+srv://u:p%2Fq@cluster.example.net/analytics", "analytics"),
    ],
)
def test_database_name_comes_from_the_uri(uri: str | None, expected: str) -> None:
    assert database_name(uri) == expected


@pytest.mark.logic
def test_uri_redaction_masks_passwords_and_secret_options() -> None:
    uri = ("mongodb://alice:pa%40ss@h1:1,h2:2/shop?authSource=admin"
           "&tlsCertificateKeyFilePassword=keypw&appname=x")
    redacted = redact_uri(uri)
    assert redacted == ("mongodb://alice:***@h1:1,h2:2/shop?authSource=admin"
                        "&tlsCertificateKeyFilePassword=***&appname=x")
    message = f"auth failed for pa@ss (pa%40ss) at {uri}; key keypw"
    cleaned = redact_text(message, uri)
    for secret in ("pa@ss", "pa%40ss", "keypw"):
        assert secret not in cleaned
    assert "alice" in cleaned
    assert redact_uri("mongodb://h:1/db") == "mongodb://h:1/db"


def test_unreachable_server_error_names_it_without_the_password(tmp_path: Path) -> None:
    port = _closed_port()
    uri = f"mongodb://alice:Sup3rSecret@127.0.0.1:{port}/shop?serverSelectionTimeoutMS=300"
    settings = settings_under(tmp_path, uri)
    with pytest.raises(MongoUnavailableError) as caught, mongo_client(settings):
        pass
    message = str(caught.value)
    assert isinstance(caught.value, RetailError)
    assert f"127.0.0.1:{port}" in message and "alice:***@" in message
    assert "Sup3rSecret" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_invalid_uri_is_a_usage_error_without_the_password(tmp_path: Path) -> None:
    settings = settings_under(tmp_path, "mongodb://bob:Hunter2Secret@127.0.0.1:notaport/")
    with pytest.raises(MongoUriError) as caught, mongo_client(settings):
        pass
    assert caught.value.exit_code == 2
    assert "Hunter2Secret" not in str(caught.value)
    assert "bob:***@" in str(caught.value)


HOLDER = """
import sys
from pathlib import Path
from retail.nosql.server import embedded_server_uri
with embedded_server_uri(Path(sys.argv[1])):
    print("serving", flush=True)
    sys.stdin.readline()
"""


def test_a_second_process_waits_for_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    from retail.nosql import server

    settings = settings_under(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(settings.mongo_data_dir)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "serving"
        monkeypatch.setattr(server, "LOCK_WAIT_SECONDS", 0.5)
        with pytest.raises(MongoUnavailableError, match="in use by another process"), \
                mongo_client(settings):
            pass
    finally:
        holder.communicate("done\n", timeout=30)
    assert holder.returncode == 0
    with mongo_database(settings) as db:  # released: this process can serve the folder now
        db.things.insert_one({"_id": 1})


def test_a_driver_error_inside_the_run_becomes_a_clear_error(tmp_path: Path) -> None:
    from retail.nosql import MongoOperationError

    with pytest.raises(MongoOperationError, match="DuplicateKeyError") as caught, \
            mongo_database(settings_under(tmp_path)) as db:
        db.things.insert_one({"_id": 1})
        db.things.insert_one({"_id": 1})
    assert "mongodb://127.0.0.1:" in str(caught.value)


KILLED_HOLDER = """
import sys
from pathlib import Path
from retail.nosql import server
with server.embedded_server_uri(Path(sys.argv[1])):
    (entry,) = server._embedded.values()
    print(entry.process.pid, flush=True)
    sys.stdin.readline()
"""


def test_the_server_runs_apart_and_never_outlives_its_starter(tmp_path: Path) -> None:
    """Its own process (its own GIL); a SIGKILLed starter takes the server down with it, and
    the data folder can be served again."""
    import os
    import signal
    import subprocess
    import sys
    import time

    settings = settings_under(tmp_path)
    with mongo_database(settings) as db:
        db.things.insert_one({"_id": 1})
    starter = subprocess.Popen([sys.executable, "-c", KILLED_HOLDER, str(settings.mongo_data_dir)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert starter.stdout is not None
    server_pid = int(starter.stdout.readline())
    assert server_pid not in (os.getpid(), starter.pid)
    os.kill(starter.pid, signal.SIGKILL)
    starter.wait(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the server process {server_pid} outlived its starter")
    with mongo_database(settings) as db:  # the folder is free again, the document kept
        assert db.things.count_documents({}) == 1


def test_a_dead_embedded_server_is_named_with_how_it_ended(tmp_path: Path) -> None:
    """The kernel's OOM killer ends the server with SIGKILL; the driver only sees `Connection
    refused`. The error says the server was killed, and how to get past it (MONGODB_URI)."""
    import os
    import signal

    from retail.nosql import MongoOperationError
    from retail.nosql.server import embedded_server_pid

    settings = settings_under(tmp_path)
    with pytest.raises(MongoOperationError) as caught, mongo_database(settings) as db:
        db.things.insert_one({"_id": 1})
        pid = embedded_server_pid(settings.mongo_data_dir)
        assert pid is not None and pid != os.getpid()
        os.kill(pid, signal.SIGKILL)
        db.things.insert_one({"_id": 2})
    message = str(caught.value)
    assert f"process {pid}" in message and "killed by SIGKILL" in message
    assert "out-of-memory" in message and "MONGODB_URI" in message
    assert embedded_server_pid(settings.mongo_data_dir) is None  # stopped and forgotten
    with mongo_database(settings) as db:  # the folder is served again by a new process
        db.things.insert_one({"_id": 3})
        assert db.things.count_documents({"_id": 3}) == 1


def test_servers_started_early_are_kept_until_released(tmp_path: Path) -> None:
    """`retail run` starts the embedded server as it begins (server.started_early) and the
    profiles' one after the bronze step: the steps find them running, a step leaving does not
    stop them, `release_early` (the MongoDB step, once done) does."""
    from retail.nosql import server

    settings = settings_under(tmp_path)
    main, profiles = (server.embedded_folder(settings, profiles=p) for p in (False, True))
    with server.started_early(settings):
        server.start_profiles_early(settings)  # what the bronze step does, once done
        for thread, _stack in server._early[settings.mongo_data_dir.resolve()].starts:
            thread.join()  # the background starts
        pids = server.embedded_server_pid(main), server.embedded_server_pid(profiles)
        assert None not in pids and pids[0] != pids[1]
        # the events server works beside the steps, nicer than the run; the profiles' one not
        own = os.getpriority(os.PRIO_PROCESS, 0)
        nicer = min(own + server.BACKGROUND_NICENESS, 19)
        assert os.getpriority(os.PRIO_PROCESS, pids[0]) == nicer > own
        assert os.getpriority(os.PRIO_PROCESS, pids[1]) == own
        with mongo_database(settings) as db:  # a step: the same server, not a new one
            db.things.insert_one({"_id": 1})
            assert server.embedded_server_pid(main) == pids[0]
        with mongo_database(settings, profiles=True) as db:
            db.customer_profiles.insert_one({"_id": 1})
        assert (server.embedded_server_pid(main), server.embedded_server_pid(profiles)) == pids
        server.release_early(settings)
        assert server.embedded_server_pid(main) is None
        assert server.embedded_server_pid(profiles) is None
    with mongo_database(settings) as db:  # the documents stayed; the block's end is a no-op
        assert db.things.count_documents({}) == 1


def test_servers_released_without_waiting_have_stopped_by_the_runs_end(tmp_path: Path) -> None:
    """The MongoDB step lets go without waiting for the stops; the run's end waits for them,
    and the data is there for the next run."""
    from retail.nosql import server

    settings = settings_under(tmp_path)
    main, profiles = (server.embedded_folder(settings, profiles=p) for p in (False, True))
    with server.started_early(settings):
        server.start_profiles_early(settings)
        with mongo_database(settings) as db:
            db.things.insert_one({"_id": 1})
        server.release_early(settings, wait=False)
    assert server.embedded_server_pid(main) is None
    assert server.embedded_server_pid(profiles) is None
    assert not server._stopping and not server._early
    with mongo_database(settings) as db:
        assert db.things.count_documents({}) == 1


def test_servers_started_early_leave_a_busy_folder_to_the_steps(tmp_path: Path) -> None:
    """Another process serves the data folder: nothing waits at the run's start (the step that
    needs the server waits for the folder, or says it is in use, as without an early start)."""
    import subprocess
    import sys
    import time

    from retail.nosql import server

    settings = settings_under(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(settings.mongo_data_dir)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "serving"
        started = time.monotonic()
        with server.started_early(settings):
            server.start_profiles_early(settings)
            for thread, _stack in server._early[settings.mongo_data_dir.resolve()].starts:
                thread.join()
            assert server.embedded_server_pid(settings.mongo_data_dir) is None
            assert server.embedded_server_pid(  # the profiles' folder was free
                server.embedded_folder(settings, profiles=True)) is not None
        assert time.monotonic() - started < 30, "waited for the busy folder"
    finally:
        holder.communicate("done\n", timeout=30)
    assert holder.returncode == 0
