"""Talking to a started `dagster dev` in tests: a free port, GraphQL queries, stopping it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post_graphql(port: int, query: str, variables: dict | None = None,
                 timeout: float = 120) -> dict | None:
    """The server's JSON answer (a rejected query's errors too), or None when nothing answers."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:  # a query GraphQL rejects: its errors, not None
        return json.loads(exc.read() or b"{}") or {"errors": [str(exc)]}
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def stop_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group `dagster dev` leads (webserver, daemon, code server)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
