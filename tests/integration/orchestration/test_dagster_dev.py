"""`dagster dev`, started from the repository root with no code-location flags, serves the assets.

The process really starts (webserver, daemon, code server) on a free loopback port, its GraphQL
API is asked for the asset graph, and the whole process group is stopped at the end.
"""

import subprocess
import sys
import time
from pathlib import Path

from dagster_web import free_port, post_graphql, stop_process_group

from retail.settings import PROJECT_ROOT

QUERY = "{ assetNodes { assetKey { path } groupName } }"
STARTUP_SECONDS = 240








def test_dagster_dev_lists_the_assets_over_graphql(tmp_path: Path, run_env) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("concurrency:\n  pools:\n    default_limit: 1\n")
    port = free_port()
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
            answer = post_graphql(port, QUERY, timeout=10)
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
        stop_process_group(proc)
        log.close()
    assert proc.poll() is not None
