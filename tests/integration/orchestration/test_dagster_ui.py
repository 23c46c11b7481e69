"""What a person sees in `dagster dev` after a run, asked through the UI's own GraphQL API.

One module-scoped setup: `retail run` on the tiny extract into a fresh DAGSTER_HOME (it has no
dagster.yaml: the run must give it the project's, and print no Dagster banner or notice), then
`dagster dev` on that DAGSTER_HOME on a free loopback port. The expectations come from the
project's files (the singular test SQL files, the project's dagster.yaml), not from the run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster_web import free_port, post_graphql, stop_process_group

from retail.settings import PROJECT_ROOT

STARTUP_SECONDS = 240
SINGULAR_TESTS = sorted(p.stem for p in (PROJECT_ROOT / "tests/dbt/singular").glob("*.sql"))
HASH = re.compile(r"\b[0-9a-f]{32}\b")
OBSERVATION_WARNING = "AssetObservation instead of an AssetCheckResult"








class UI:
    def __init__(self, port: int, run_output: str, home: Path) -> None:
        self.port, self.run_output, self.home = port, run_output, home

    def query(self, query: str, **variables) -> dict:
        answer = post_graphql(self.port, query, variables)
        assert answer is not None and "errors" not in answer, answer
        return answer["data"]

    def run_id(self) -> str:
        runs = self.query("{ runsOrError { ... on Runs { results { runId status } } } }")
        results = runs["runsOrError"]["results"]
        assert [r["status"] for r in results] == ["SUCCESS"], results
        return results[0]["runId"]

    def checks(self, path: list[str]) -> dict[str, str | None]:
        data = self.query(
            """query($keys: [AssetKeyInput!]) { assetNodes(assetKeys: $keys) {
                 assetChecksOrError { ... on AssetChecks { checks { name description } } } } }""",
            keys=[{"path": path}])
        [node] = data["assetNodes"]
        return {c["name"]: c["description"] for c in node["assetChecksOrError"]["checks"]}

    def materialization(self, path: list[str]) -> dict:
        data = self.query(
            """query($key: AssetKeyInput!) { assetOrError(assetKey: $key) { ... on Asset {
                 assetMaterializations(limit: 1) { metadataEntries { label
                   ... on FloatMetadataEntry { floatValue }
                   ... on MarkdownMetadataEntry { mdStr } } } } } }""",
            key={"path": path})
        [latest] = data["assetOrError"]["assetMaterializations"]
        return {e["label"]: e.get("floatValue", e.get("mdStr")) for e in latest["metadataEntries"]}


@pytest.fixture(scope="module")
def ui(tiny_extract, tmp_path_factory, run_env):
    root = tmp_path_factory.mktemp("dagster-ui")
    home = root / "dagster_home"  # does not exist: `retail run` must set it up
    bin_dir = Path(sys.executable).parent
    log_path = root / "dagster-dev.log"
    with run_env(root / "root") as settings:
        env = {**settings.child_env(), "DAGSTER_HOME": str(home)}
        done = subprocess.run([str(bin_dir / "retail"), "run", "--raw", str(tiny_extract.path)],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-4000:]
        port = free_port()
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [str(bin_dir / "dagster"), "dev", "--host", "127.0.0.1", "--port", str(port)],
                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            answer = post_graphql(port, "{ assetNodes { id } }")
            if answer and answer.get("data", {}).get("assetNodes"):
                break
            time.sleep(2)
        else:
            pytest.fail(f"dagster dev did not answer:\n{log_path.read_text()[-3000:]}")
        yield UI(port, output, home)
    finally:
        stop_process_group(proc)
    dev_output = log_path.read_text()
    assert "No dagster instance configuration file" not in dev_output
    assert "Telemetry:" not in dev_output


def test_instance_settings_are_the_projects_and_no_banner_is_printed(ui) -> None:
    project_yaml = PROJECT_ROOT / "orchestration" / "dagster.yaml"
    assert (ui.home / "dagster.yaml").read_text() == project_yaml.read_text()
    assert "telemetry:\n  enabled: false" in project_yaml.read_text()
    assert "No dagster instance configuration file" not in ui.run_output
    assert "Telemetry:" not in ui.run_output and "usage statistics" not in ui.run_output


def test_every_dbt_test_is_a_described_check_and_no_observation_warning(ui) -> None:
    logs = ui.query(
        """query($id: ID!) { logsForRun(runId: $id, limit: 100000) { ... on EventConnection {
             events { __typename ... on MessageEvent { message } } } } }""",
        id=ui.run_id())
    messages = [e.get("message") or "" for e in logs["logsForRun"]["events"]]
    assert len(messages) > 100
    assert not [m for m in messages if OBSERVATION_WARNING in m]
    assert not [e for e in logs["logsForRun"]["events"] if e["__typename"] == "ObservationEvent"]

    guarded = {
        ("gold", "fct_sales"): {"assert_fct_sales_revenue_reconciles",
                                "assert_fct_sales_product_version_valid_on_order_date",
                                "assert_fct_sales_members_known"},
        ("gold", "kpi_daily_sales"): {"assert_kpi_marts_reconcile_with_facts"},
        ("silver", "rejected_rows"): {"assert_bronze_rows_reconcile"},
        ("gold", "customer_segments"): {"assert_customer_segments_are_current",
                                        "assert_segment_tiers_match_duckdb_percentiles"},
    }
    found: set[str] = set()
    for path, names in guarded.items():
        checks = ui.checks(list(path))
        assert names <= set(checks), (path, sorted(checks))
        found |= set(checks) & set(SINGULAR_TESTS)
        # generic dbt tests (not_null, unique, ...) get a sentence naming their column
        assert all(d and d.strip() and d != "No description provided" for d in checks.values())
    assert found == set(SINGULAR_TESTS)  # every singular test file is a check somewhere
    generic = ui.checks(["gold", "dim_customers"])
    assert any(d.startswith("not_null on dim_customers.") for d in generic.values()), generic


def test_schedule_and_sensor_have_descriptions(ui) -> None:
    data = ui.query(
        """{ workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError {
             ... on RepositoryLocation { repositories {
               schedules { name description } sensors { name description } } } } } } } }""")
    [entry] = data["workspaceOrError"]["locationEntries"]
    [repo] = entry["locationOrLoadError"]["repositories"]
    described = {s["name"]: s["description"] for s in repo["schedules"] + repo["sensors"]}
    assert set(described) == {"daily_refresh", "landing_folder_sensor"}
    assert all(text and len(text) > 40 for text in described.values()), described
    assert "06:00 UTC" in described["daily_refresh"]
    assert "landing folder" in described["landing_folder_sensor"]


def test_dbt_asset_durations_are_the_models_own(ui) -> None:
    from orchestration.dbt_build import parse_timing

    run_id = ui.run_id()
    stats = ui.query(
        """query($id: ID!) { runOrError(runId: $id) { ... on Run {
             stepStats { stepKey startTime endTime } } } }""", id=run_id)
    steps = {s["stepKey"]: s["endTime"] - s["startTime"] for s in stats["runOrError"]["stepStats"]}
    # the whole dbt build of each dbt step is in the step's log
    logs = ui.query(
        """query($id: ID!) { logsForRun(runId: $id, limit: 100000) { ... on EventConnection {
             events { ... on MessageEvent { message stepKey } } } } }""", id=run_id)
    builds = {e["stepKey"]: parse_timing(e["message"]) for e in logs["logsForRun"]["events"]
              if e and parse_timing(e.get("message") or "")}
    assert set(builds) == {"dbt_models", "dbt_segmentation_models"}, builds
    build = builds["dbt_models"]
    assert 0 < build["dbt_elapsed_seconds"] < build["dbt_build_seconds"] <= steps["dbt_models"]
    models = [["gold", "fct_sales"], ["gold", "dim_customers"], ["gold", "dim_date"],
              ["gold", "kpi_daily_sales"], ["silver", "stg_crm__sales"]]
    durations = {}
    for path in models:
        meta = ui.materialization(path)
        durations["/".join(path)] = meta["duration_seconds"]
        assert meta["duration_seconds"] < build["dbt_build_seconds"]
    assert sum(durations.values()) < steps["dbt_models"]
    assert len(set(durations.values())) > 1, durations


def test_every_dbt_check_evaluates_its_assets_materialization_of_the_run(ui) -> None:
    """An evaluation is tied to its asset's latest materialization when it is stored: the dbt
    steps yield each model's output before its checks, also while dbt still runs."""
    run_id = ui.run_id()
    for path in (["silver", "stg_crm__sales"], ["gold", "dim_customers"], ["gold", "fct_sales"],
                 ["gold", "kpi_daily_sales"], ["gold", "customer_segments"]):
        data = ui.query(
            """query($keys: [AssetKeyInput!]) { assetNodes(assetKeys: $keys) {
                 assetChecksOrError { ... on AssetChecks { checks { name
                   executionForLatestMaterialization { runId status
                     evaluation { targetMaterialization { runId } } } } } } } }""",
            keys=[{"path": path}])
        [node] = data["assetNodes"]
        checks = node["assetChecksOrError"]["checks"]
        assert checks, path
        for check in checks:
            execution = check["executionForLatestMaterialization"]
            assert execution is not None and execution["runId"] == run_id, (path, check)
            target = execution["evaluation"]["targetMaterialization"]
            assert target is not None and target["runId"] == run_id, (path, check)


def test_previews_show_readable_columns(ui) -> None:
    for path in (["gold", "fct_sales"], ["gold", "dim_customers"], ["gold", "dim_products"],
                 ["bronze", "crm_sales_details"], ["silver", "stg_crm__sales"]):
        preview = ui.materialization(path)["preview"]
        lines = [line for line in preview.splitlines() if line.startswith("| ")]
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        assert 3 <= len(header) <= 8, header
        assert not [c for c in header if c.startswith("_")], header
        assert not HASH.search(preview), preview
        assert len(lines) == 1 + 5
    sales_header = ui.materialization(["gold", "fct_sales"])["preview"].splitlines()[0]
    assert "order_number" in sales_header and "sales_amount" in sales_header
    assert "customer_key" not in sales_header
