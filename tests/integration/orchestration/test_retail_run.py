"""`retail run --raw` on a real-world-shaped extract: no optional files, no manifest (no truth).

The whole pipeline must build and test green with the models that depend on the optional files
empty; the exports then hold those tables as header-only CSVs.
"""

import csv
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

OPTIONAL = ("source_erp/RET_ORD_Q1.csv", "source_web/events.jsonl")


def test_retail_run_raw_without_optional_files(tiny_extract, tmp_path: Path, run_env) -> None:
    """Run as a user does (a `retail` process): what it prints up to its very end counts."""
    import subprocess
    import sys

    extract = tmp_path / "erp-export-2025-12"
    shutil.copytree(tiny_extract.path, extract)
    for name in (*OPTIONAL, "manifest.json"):
        (extract / name).unlink()

    with run_env(tmp_path / "root") as settings:
        out = subprocess.run([str(Path(sys.executable).with_name("retail")), "run", "--raw",
                              str(extract)], capture_output=True, text=True, timeout=1800,
                             env={**settings.child_env(), "COLUMNS": "200"})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "succeeded" in out.stdout and "Checks:" in out.stdout
    assert "ok  dbt_models" in out.stderr  # progress lines as steps finish
    # no manifest: the truth check is skipped with its reason, never counted as passed
    assert re.search(r"Checks: \d+ passed, 0 failed, \d+ warned, 1 skipped", out.stdout), out.stdout
    assert "skipped gold/fct_sales:gold_matches_extract_truth: no manifest truth" in out.stdout
    # nothing of DuckDB's (or the Spark step's) outlives the run at interpreter exit
    assert "nanobind: leaked" not in out.stderr, out.stderr[-3000:]
    # the run's record beside its log: the same steps, checks and row counts the summary shows
    (record_file,) = (settings.data_dir / "logs").glob("run-*.json")
    record = json.loads(record_file.read_text())
    assert record["success"] and record["log_file"].endswith(".log")
    assert {s["step"]: s["status"] for s in record["steps"]}["dbt_models"] == "success"
    skipped = [c["check"] for c in record["checks"] if c["skipped"]]
    assert skipped == ["gold/fct_sales:gold_matches_extract_truth"]
    assert record["gold_rows"]["fct_sales"] == tiny_extract.manifest["truth"]["order_lines"]
    dbt_models = record["dbt_steps"]["dbt_models"]  # the step's dbt build, as it logged it
    assert 0 < dbt_models["dbt_elapsed_seconds"] < dbt_models["dbt_build_seconds"]
    assert set(record["dbt_steps"]) == {"dbt_models", "dbt_segmentation_models"}

    truth = tiny_extract.manifest["truth"]
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        def one(sql: str):
            return con.execute(sql).fetchone()[0]

        assert one("select count(*) from bronze.erp_ret_ord_q1") == 0
        assert one("select count(*) from bronze.web_events") == 0
        assert one("select count(*) from gold.fct_returns") == 0
        assert one("select count(*) from gold.fct_web_events") == 0
        # without web events no order is known to be online
        assert one("select count(*) from gold.fct_sales where channel = 'Online'") == 0
        # the mandatory files still give the full truth
        assert one("select count(*) from gold.fct_sales") == truth["order_lines"]
        assert one("select count(*) from gold.dim_customers") == truth["customers"]
    with (settings.powerbi_dir / "fct_returns.csv").open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][:2] == ["return_key", "order_number"] and len(rows) == 1


def test_retail_run_refuses_conflicting_arguments(tmp_path: Path, capsys) -> None:
    from cli.main import main

    assert main(["run", "--raw", str(tmp_path), "--scale", "2"]) == 2
    assert "either --raw DIR or --scale/--seed" in capsys.readouterr().err
    assert main(["run", "--raw", str(tmp_path / "absent")]) == 2


def test_retail_run_says_so_when_the_warehouse_is_locked(tmp_path: Path, run_env,
                                                         capsys) -> None:
    """Another process holds the DuckDB file: exit 3 with a plain message, no traceback."""
    import subprocess
    import sys

    from cli.main import main

    with run_env(tmp_path) as settings:
        settings.duckdb_path.parent.mkdir(parents=True)
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
             "print('locked', flush=True); time.sleep(60)", str(settings.duckdb_path)],
            stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            code = main(["run", "--scale", "0.01"], settings)
        finally:
            holder.kill()
            holder.wait()
    err = capsys.readouterr().err
    assert code == 3, err
    assert "in use by another process" in err and "Traceback" not in err


def test_a_failed_step_stops_everything_downstream(tiny_extract, tmp_path: Path, run_env,
                                                  capsys: pytest.CaptureFixture) -> None:
    """An extract missing a mandatory file: ingest fails, nothing downstream runs, exit 1."""
    from cli.main import main

    extract = tmp_path / "broken-extract"
    shutil.copytree(tiny_extract.path, extract)
    (extract / "source_crm" / "sales_details.csv").unlink()

    with run_env(tmp_path / "root") as settings:
        code = main(["run", "--raw", str(extract)], settings)
    out = capsys.readouterr()
    assert code == 1
    assert "FAIL bronze_ingest" in out.err and "sales_details.csv" in out.err
    assert "FAILED" in out.out and "sales_details.csv" in out.out
    assert re.search(r"dbt_models\s+.\s+not run", out.out)
    assert "ok  segmentation" not in out.err and "ok  exports" not in out.err
    assert not settings.powerbi_dir.exists()
