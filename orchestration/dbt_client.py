"""`retail-dbt`: the dbt executable the platform's dbt resource runs; `dbt` through a warm server.

Where the process that started this one serves a warm dbt (orchestration/dbt_forkserver.py
`serving()`, which `retail run` uses for its duration: the socket `socket_path(parent pid)`),
or RETAIL_DBT_FORKSERVER names a server's socket, this asks the server to run `dbt <args>` in
a forked child that already imported dbt, with this process's argv, environment, cwd and
stdin/stdout/stderr, and exits with the child's exit code; SIGINT/SIGTERM sent to this process
go to the child. So dagster-dbt sees the same JSON lines on the pipe and the same exit codes
as from `dbt`.

Anywhere else (no server, server gone or refusing before the child started), it replaces
itself with the real `dbt` beside this Python (os.execv): `dagster dev`, tests and scripts
behave exactly as with `dbt`. Standard library only: this process must start in milliseconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys
import tempfile
from typing import NoReturn

ENV_VAR = "RETAIL_DBT_FORKSERVER"  # orchestration/dbt_forkserver.py ENV_VAR
HEADER = struct.Struct("!Q")
FORWARDED = (signal.SIGINT, signal.SIGTERM)


def socket_path(pid: int) -> str:
    """Where the dbt server of process `pid` listens: a folder only this user can enter."""
    return os.path.join(tempfile.gettempdir(), f"retail-dbt-{os.getuid()}", f"{pid}.sock")


def server_socket() -> str | None:
    """RETAIL_DBT_FORKSERVER when set, else the socket of the process that started this one
    (dagster-dbt's, in a `retail run`) when that process serves; None: run the real dbt."""
    path = os.environ.get(ENV_VAR) or socket_path(os.getppid())
    return path if os.path.exists(path) else None


def real_dbt() -> str:
    """The `dbt` console script beside this Python (retail/dbt.py `dbt_executable`)."""
    return os.path.join(os.path.dirname(sys.executable), "dbt")


def exec_dbt(args: list[str]) -> NoReturn:
    dbt = real_dbt()
    os.execv(dbt, [dbt, *args])


class _Forwarder:
    """Sends SIGINT/SIGTERM to the child once its pid is known (remembers earlier ones)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.received: list[int] = []
        for signum in FORWARDED:
            signal.signal(signum, self.handle)

    def handle(self, signum: int, _frame: object) -> None:
        self.received.append(signum)
        if self.pid is not None:
            self.send(signum)

    def started(self, pid: int) -> None:
        self.pid = pid
        for signum in self.received:
            self.send(signum)

    def send(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def die_of_pending_signal(self) -> None:
        """An interrupt that came before any dbt ran ends this process as it would have dbt."""
        if self.received:
            signum = self.received[0]
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)


def _request(args: list[str]) -> bytes:
    """What the child needs to stand in for this process (argv[0] as `dbt` itself has it)."""
    return json.dumps({"argv": [real_dbt(), *args], "env": dict(os.environ),
                       "cwd": os.getcwd()}).encode()


def main() -> NoReturn:
    args = sys.argv[1:]
    path = server_socket()
    if not path:
        exec_dbt(args)
    forwarder = _Forwarder()
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
        body = _request(args)
        socket.send_fds(conn, [HEADER.pack(len(body))], [0, 1, 2])
        conn.sendall(body)
    except OSError:
        forwarder.die_of_pending_signal()
        exec_dbt(args)
    pid = None
    try:
        for line in conn.makefile("r", encoding="utf-8"):
            word, _, value = line.strip().partition(" ")
            if word == "pid":
                pid = int(value)
                forwarder.started(pid)
            elif word == "exit":
                sys.exit(int(value))
            elif word == "signal":
                signum = int(value)
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)
                sys.exit(128 + signum)
            elif word == "refused" and pid is None:
                break
    except (OSError, ValueError):
        pass
    if pid is None:  # no dbt started: the real one runs instead
        conn.close()
        forwarder.die_of_pending_signal()
        exec_dbt(args)
    print(f"retail-dbt: lost the connection to the dbt server ({path}) before dbt {pid} "
          "reported its exit code", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
