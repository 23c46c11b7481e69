"""The warm dbt server (orchestration/dbt_forkserver.py) and its client `retail-dbt`
(orchestration/dbt_client.py): real dbt commands through both give what `dbt` gives.

A tiny dbt project of its own (one model that builds, one that reads a missing table) keeps the
commands fast and their outcomes known: `dbt run --select ok` succeeds (0), a run with the bad
model fails a node (1), an unknown option is a usage error (2). dbt's JSON log lines carry the
pid of the process that wrote them: through the server it is a forked child, not the client.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration import dbt_forkserver
from orchestration.dbt_client import ENV_VAR, socket_path
from orchestration.resources import dbt_resource
from retail.dbt import dbt_executable


@dataclass
class Run:
    pid: int
    returncode: int
    stdout: str
    stderr: str


CLIENT = str(Path(sys.executable).with_name("retail-dbt"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project, parsed once (so every command below reuses dbt's partial parse alike)."""
    return parsed_project(tmp_path_factory.mktemp("forkserver"), "mini", "threads: 1", {
        "ok": "select 1 as x\n", "bad": "select * from no_such_table\n"})


def parsed_project(folder: Path, name: str, profile: str, models: dict[str, str]) -> Path:
    """dbt project `name` in `folder` (its DuckDB file beside it; `profile`: the output's
    further settings), with `models` (name -> SQL), parsed by the real dbt."""
    root = folder / name
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text(f'name: {name}\nversion: "1.0"\nprofile: {name}\n')
    (root / "profiles.yml").write_text(
        f"{name}:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {folder / (name + '.duckdb')}\n      {profile}\n"
    )
    for model, sql in models.items():
        (root / "models" / f"{model}.sql").write_text(sql)
    proc, _events = dbt(dbt_executable(), ["parse"], root)
    assert proc.returncode == 0, proc.stdout[-2000:]
    return root


def dbt(executable: str, args: list[str], project: Path) -> tuple[Run, list[dict]]:
    """`<executable> <args>` as dagster-dbt starts dbt (JSON logs on stdout)."""
    return dbt_in(executable, args, project, project / "target")


def dbt_in(executable: str, args: list[str], project: Path,
           target: Path) -> tuple[Run, list[dict]]:
    """`dbt` with `target` as its target folder (dagster-dbt gives each invocation its own)."""
    env = {**os.environ, "DBT_LOG_FORMAT": "json", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "DBT_PROFILES_DIR": str(project), "DBT_TARGET_PATH": str(target)}
    with subprocess.Popen([executable, *args], cwd=project, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        stdout, stderr = proc.communicate(timeout=300)
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return Run(proc.pid, proc.returncode, stdout, stderr), events


def names(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["info"]["name"], e["info"]["level"]) for e in events]


@pytest.fixture(params=["cold", "warmed"])
def server(request, project):
    """This process serves: the clients it starts find the server by their parent's pid.
    "warmed": the server first compiles dbt's serializers from the project's saved parse, as
    `retail run` starts it; its children must give exactly what dbt gives all the same."""
    assert ENV_VAR not in os.environ
    saved = project / "target" / "partial_parse.msgpack"
    assert saved.exists()
    with dbt_forkserver.serving(saved if request.param == "warmed" else None) as path:
        assert path == socket_path(os.getpid()) and Path(path).exists()
        assert ENV_VAR not in os.environ  # nothing written to the environment
        yield path
    assert not Path(path).exists()


@pytest.mark.parametrize(
    ("args", "code"),
    [(["run", "--select", "ok"], 0), (["run"], 1), (["run", "--no-such-option"], 2)],
)
def test_served_dbt_gives_the_events_and_exit_code_of_dbt(project, server, args, code) -> None:
    served, served_events = dbt(CLIENT, args, project)
    real, real_events = dbt(dbt_executable(), args, project)
    assert real.returncode == code, real.stderr[-2000:]
    assert served.returncode == code, served.stderr[-2000:]
    assert names(served_events) == names(real_events)
    assert served.stderr == real.stderr  # click's usage error names `dbt`, as dbt's own does
    if code != 2:
        assert served_events and real_events
        assert {e["info"]["pid"] for e in real_events} == {real.pid}
        # a child of the server wrote them: not a dbt the client started or became
        assert {e["info"]["pid"] for e in served_events} != {served.pid}
        statuses = [e["data"]["node_info"]["node_status"] for e in served_events
                    if e["info"]["name"] == "LogModelResult"]
        assert statuses == [e["data"]["node_info"]["node_status"] for e in real_events
                            if e["info"]["name"] == "LogModelResult"]
        assert sorted(statuses) == (["error", "success"] if code == 1 else ["success"])


def test_the_client_runs_dbt_itself_without_a_server(project, tmp_path, monkeypatch) -> None:
    """Variable unset (`dagster dev`, tests) or naming a socket nobody serves: the client becomes
    `dbt` (exec), so the events' pid is the process the caller started."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    for named in (None, str(tmp_path / "gone.sock")):
        if named:
            monkeypatch.setenv(ENV_VAR, named)
        proc, events = dbt(CLIENT, ["run", "--select", "ok"], project)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert events and {e["info"]["pid"] for e in events} == {proc.pid}


def test_the_server_exits_when_its_stdin_closes(project) -> None:
    process, path = dbt_forkserver.start()
    try:
        proc, events = dbt(CLIENT, ["run", "--select", "ok"], project)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert events and {e["info"]["pid"] for e in events} != {proc.pid}  # served
    finally:
        process.stdin.close()
    assert process.wait(timeout=30) == 0
    with socket.socket(socket.AF_UNIX) as client, pytest.raises(OSError):
        client.connect(path)
    Path(path).unlink()


def test_the_dbt_resource_runs_through_the_server(server, tmp_path) -> None:
    """What a run's dbt steps do: dagster-dbt starts the resource's executable (`retail-dbt`)."""
    resource = dbt_resource()
    assert resource.dbt_executable == CLIENT
    invocation = resource.cli(["parse", "--quiet"], target_path=tmp_path / "target")
    invocation.wait()
    assert invocation.is_successful()
    assert (tmp_path / "target" / "manifest.json").exists()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupted(executable: str, project: Path) -> tuple[int, list[str]]:
    """Exit code and last event names of a slow `dbt run` sent SIGINT once its model started
    (what dagster-dbt does when a run is cancelled)."""
    env = {**os.environ, "DBT_LOG_FORMAT": "json", "DBT_PROFILES_DIR": str(project),
           "DBT_TARGET_PATH": str(project / "target")}
    # SIGINT at its default in the child, whatever this process inherited (a test run started
    # in the background by a shell ignores SIGINT, and so would dbt)
    with subprocess.Popen([executable, "run", "--select", "slow"], cwd=project, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          preexec_fn=_default_sigint) as proc:
        for line in proc.stdout:
            if '"LogStartLine"' in line:
                break
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        rest = proc.stdout.read()
        code = proc.wait(timeout=60)
    return code, [json.loads(line)["info"]["name"] for line in rest.splitlines()
                  if line.startswith("{")][-2:]


def test_an_interrupt_reaches_the_forked_dbt(project, server) -> None:
    slow = project / "models" / "slow.sql"
    slow.write_text("{{ config(materialized='table') }}\n"
                    "select sum(a.range * b.range) as n from range(300000) a, range(300000) b\n")
    try:
        real = interrupted(dbt_executable(), project)
        served = interrupted(CLIENT, project)
    finally:
        slow.unlink()
    assert real[0] == 2  # dbt's exit code for an interrupted run
    assert served == real


def test_a_served_build_writes_no_manifest_nor_graph_but_its_results(project, server,
                                                                    tmp_path) -> None:
    """`dbt build` through the server writes run_results.json (what the step reads) and not the
    manifest and graph dbt writes beside it (nobody reads them: see the server's module); the
    events and the results are dbt's, and `dbt parse` through the server still writes its
    manifest."""
    outcomes = {}
    for name, executable in (("served", CLIENT), ("real", dbt_executable())):
        target = tmp_path / name
        proc, events = dbt_in(executable, ["build", "--select", "ok"], project, target)
        assert proc.returncode == 0, proc.stderr[-2000:]
        results = json.loads((target / "run_results.json").read_text())["results"]
        outcomes[name] = (sorted((r["unique_id"], r["status"]) for r in results),
                          [n for n in names(events) if n[0] != "ArtifactWritten"],
                          (target / "manifest.json").exists(), (target / "graph.gpickle").exists())
    assert outcomes["served"][:2] == outcomes["real"][:2]
    assert outcomes["served"][0] == [("model.mini.ok", "success")]
    assert outcomes["real"][2:] == (True, True) and outcomes["served"][2:] == (False, False)
    proc, _events = dbt_in(CLIENT, ["parse"], project, tmp_path / "parsed")
    assert proc.returncode == 0 and (tmp_path / "parsed" / "manifest.json").exists()


def test_a_served_build_describes_each_model_it_builds(project, server, tmp_path) -> None:
    """Through the server, `dbt build` writes a line per model it built (what the step reports
    while dbt runs: orchestration/dbt_describe.py), read from the warehouse dbt just wrote; a
    model that failed gets none, and neither `dbt run` nor the real dbt writes any."""
    import duckdb

    from orchestration.dbt_describe import FILE_NAME, Descriptions

    proc, _events = dbt_in(CLIENT, ["build"], project, tmp_path / "served")
    assert proc.returncode == 1  # `bad` reads a missing table
    results = json.loads((tmp_path / "served" / "run_results.json").read_text())["results"]
    assert {r["unique_id"]: r["status"] for r in results} == {
        "model.mini.ok": "success", "model.mini.bad": "error"}
    descriptions = Descriptions(tmp_path / "served" / FILE_NAME)
    descriptions.refresh()
    [line] = descriptions.lines
    with duckdb.connect(str(project.parent / "mini.duckdb"), read_only=True) as con:
        ((rows,),) = con.execute("select count(*) from main.ok").fetchall()
    assert (line["schema"], line["name"], line["headlines"]) == ("main", "ok", {})
    assert line["table"]["row_count"] == rows == 1
    assert line["table"]["columns"] == [["x", "INTEGER"]]
    assert "| x |" in line["table"]["preview"]
    assert descriptions.final("main", "ok", ["ok", "bad"]) == (line["table"], None)
    assert descriptions.final("main", "bad", ["ok", "bad"]) is None

    for name, executable, args in (("run", CLIENT, ["run", "--select", "ok"]),
                                   ("real", dbt_executable(), ["build", "--select", "ok"])):
        proc, _events = dbt_in(executable, args, project, tmp_path / name)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert (tmp_path / name / "run_results.json").exists()
        assert not (tmp_path / name / FILE_NAME).exists(), name


def test_a_headline_is_computed_at_the_last_model_the_build_builds_that_it_reads(
        tmp_path) -> None:
    """The sales headline reads fct_sales and kpi_daily_sales (built after it). A build of both
    computes it once, on kpi_daily_sales's line (on fct_sales's it would be superseded), and
    the step's reader gives both models those figures; a build of fct_sales alone has it on
    fct_sales's line."""
    from orchestration.dbt_describe import FILE_NAME, Descriptions

    root = parsed_project(tmp_path, "sales", "schema: gold\n      threads: 2", {
        "fct_sales": "select * from (values ('SO1', 10.0, 1), ('SO1', 5.5, 2), ('SO2', 7.0, 3))"
                     " as t(order_number, revenue, units)\n",
        "kpi_daily_sales": "select sum(revenue) as revenue, count(*) as order_lines,"
                           " sum(units) as units from {{ ref('fct_sales') }}\n"})
    building = ["fct_sales", "kpi_daily_sales"]

    with dbt_forkserver.serving(None):
        lines = {}
        for name, args in (("both", ["build"]), ("alone", ["build", "--select", "fct_sales"])):
            proc, _events = dbt_in(CLIENT, args, root, tmp_path / name)
            assert proc.returncode == 0, proc.stderr[-2000:]
            descriptions = Descriptions(tmp_path / name / FILE_NAME)
            descriptions.refresh()
            lines[name] = descriptions

    figures = {"revenue": 22.5, "orders": 2, "order_lines": 3, "units": 6,
               "average_order_value": 11.25}
    both = {line["name"]: line["headlines"] for line in lines["both"].lines}
    assert both == {"fct_sales": {},
                    "kpi_daily_sales": {"fct_sales": {"figures": figures},
                                        "kpi_daily_sales": {"figures": figures}}}
    for model in building:
        _table, headline = lines["both"].final("gold", model, building)
        assert headline == {"figures": figures}
    [alone] = lines["alone"].lines
    assert alone["name"] == "fct_sales"
    assert alone["headlines"] == {"fct_sales": {"figures": figures},
                                  "kpi_daily_sales": {"figures": figures}}
    assert lines["alone"].final("gold", "fct_sales", ["fct_sales"])[1] == {"figures": figures}
