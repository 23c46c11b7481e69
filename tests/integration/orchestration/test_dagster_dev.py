"""`dagster dev`, started from the repository root with no code-location flags, serves the assets.

The process really starts (webserver, daemon, code server) on a free loopback port, its GraphQL
API is asked for the asset graph, and the whole process group is stopped at the end.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from retail.settings import PROJECT_ROOT

QUERY = "{ assetNodes { assetKey { path } groupName } }"
STARTUP_SECONDS = 240


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int) -> dict | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_dagster_dev_lists_the_assets_over_graphql(tmp_path: Path, run_env) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("concurrency:\n  pools:\n    default_limit: 1\n")
    port = _free_port()
    dagster = Path(sys.executable).with_name("dagster")
    log = (tmp_path / "dagster-dev.log").open("w")
    with run_env(tmp_path / "root") as settings:
        proc = subprocess.Popen(
            [str(dagster), "dev", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT, env={**settings.child_env(), "DAGSTER_HOME": str(home)},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        answer = None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            answer = _graphql(port)
            if answer and answer.get("data", {}).get("assetNodes"):
                break
            time.sleep(2)
        assert proc.poll() is None, (tmp_path / "dagster-dev.log").read_text()[-3000:]
        assert answer and answer.get("data"), (tmp_path / "dagster-dev.log").read_text()[-3000:]
        nodes = {"/".join(n["assetKey"]["path"]): n["groupName"]
                 for n in answer["data"]["assetNodes"]}
        assert nodes["raw/extract"] == "raw"
        assert nodes["bronze/crm_sales_details"] == "bronze"
        assert nodes["gold/fct_sales"] == "gold"
        assert nodes["segmentation/customer_segments_parquet"] == "segmentation"
        assert nodes["exports/powerbi"] == "exports"
    finally:
        _stop(proc)
        log.close()
    assert proc.poll() is not None
