"""Each model described by the dbt process that builds it, for Dagster to report while dbt runs.

Why: DuckDB lets one process write the warehouse file and dbt holds it for its whole build, so a
dbt step could read its models' metadata (row count, schema, preview, headline figures) only
after dbt exited; Dagster then turned the step's ~300 results (the models' outputs, ~260 check
evaluations) into events on one core while the other sat idle: ~1.2 s of a real-size run.
A check's result must follow its asset's output (Dagster ties an evaluation to the asset's
latest materialization), and the output needs the metadata. So in a `retail run`, the dbt
process describes each model itself, once it is built and before dbt reports it finished: one
JSON line per model in `<the invocation's target folder>/retail_descriptions.jsonl`; the step
(orchestration/dbt_build.py) yields each output, then its checks, as soon as its line is there.

Writer, in dbt's process: `install()` wraps dbt's `ModelRunner.after_execute` (models, seeds,
snapshots: dbt calls it in the worker thread, after the model's transaction, before its
`NodeFinished` event) in the dbt server (orchestration/dbt_forkserver.py), before it forks.
Only `dbt build` with a DBT_TARGET_PATH (dagster-dbt's invocations) writes; the description
reads through a connection of dbt's own adapter (the same DuckDB database), and one that fails
is left out: the step then reads that model from the warehouse after dbt exits, as it does for
every model when dbt runs without the server (`dagster dev`). Line:
{"schema", "name", "table": describe.describe_table(...),
 "headlines": {model: kpis.headline_entry(...)} for each model whose headline reads this one}.

A headline read by several models the build selects is computed only at the last of them: at
`fct_sales`, the sales headline (which reads `kpi_daily_sales` too, built after it) is left
out when the build also builds `kpi_daily_sales`, whose line has it (the reader takes it from
there). It counted the distinct orders of fct_sales for nothing, on the build's critical path
(every model on fct_sales waits for its description): 0.55 s at scale 100. The selection is
recorded as dbt initializes the build (`_Selection`).

Reader, in the step: `Descriptions`. A headline is final once every model it reads that the
step builds has been built: the figures come from the last of their lines (fct_sales's headline
reads kpi_daily_sales, which dbt builds after fct_sales).

Dagster-free: the dbt server imports this module.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orchestration.describe import describe_table
from orchestration.kpis import HEADLINES, Headline, headline_entry, headlines_reading

FILE_NAME = "retail_descriptions.jsonl"
_write_lock = threading.Lock()  # dbt's worker threads append whole lines, one at a time


class _Selection:
    """The models this process's dbt build selected, and its graph (set once dbt initializes
    the build: `install`)."""

    graph: Any = None
    models: dict[str, str] = {}  # unique_id -> model name

    @classmethod
    def record(cls, task: Any) -> None:
        cls.graph = task.graph
        cls.models = {node.unique_id: node.name for node in task._flattened_nodes or ()
                      if getattr(node, "resource_type", None) == "model"}

    @classmethod
    def built_after(cls, unique_id: str) -> set[str]:
        """The names of the selected models downstream of `unique_id` (built after it)."""
        if cls.graph is None or unique_id not in cls.models:
            return set()
        return {cls.models[uid] for uid in cls.graph.descendants(unique_id) if uid in cls.models}


def install() -> None:
    """Make `dbt build` describe each model it builds (in this process and its children)."""
    from dbt.task.run import ModelRunner
    from dbt.task.runnable import GraphRunnableTask

    after_execute = ModelRunner.after_execute
    if getattr(after_execute, "describes", False):
        return
    runtime_initialize = GraphRunnableTask._runtime_initialize

    def recording_runtime_initialize(self: Any) -> None:
        runtime_initialize(self)
        _Selection.record(self)

    def describing_after_execute(self: Any, result: Any) -> None:
        after_execute(self, result)
        path = descriptions_path()
        if path is not None and result.status == "success":
            describe_built(self.adapter, self.node.schema, self.node.alias, path,
                           built_after=_Selection.built_after(self.node.unique_id))

    describing_after_execute.describes = True  # type: ignore[attr-defined]
    GraphRunnableTask._runtime_initialize = recording_runtime_initialize
    ModelRunner.after_execute = describing_after_execute


def descriptions_path() -> Path | None:
    """Where this dbt process writes its descriptions; None: it writes none (not a `build`
    dagster-dbt started)."""
    from dbt.flags import get_flags

    target = os.environ.get("DBT_TARGET_PATH")
    if not target or getattr(get_flags(), "WHICH", None) != "build":
        return None
    return Path(target) / FILE_NAME


def describe_built(adapter: Any, schema: str, name: str, path: Path,
                   built_after: set[str] | frozenset[str] = frozenset()) -> None:
    """Append `schema.name`'s line (nothing when it cannot be read: see the module).
    `built_after`: the models this build builds after this one."""
    try:
        with adapter.connection_named(f"describe {schema}.{name}"):
            con = adapter.connections.get_thread_connection().handle.cursor()
            line = {"schema": schema, "name": name, "table": describe_table(con, schema, name),
                    "headlines": _headlines_reading(con, name, built_after)}
        text = json.dumps(line, default=str) + "\n"
    except Exception:  # only metadata: the step reads it from the warehouse after dbt exits
        return
    with _write_lock, contextlib.suppress(OSError), path.open("a") as out:
        out.write(text)


def _headlines_reading(con: Any, name: str, built_after: set[str] | frozenset[str] = frozenset()
                       ) -> dict[str, dict[str, Any] | None]:
    """The headline entry of each model whose headline reads `name`, each headline computed
    once (fct_sales and kpi_daily_sales share theirs); none for a headline that also reads a
    model of `built_after` (its line will have it)."""
    computed: dict[Headline, dict[str, Any] | None] = {}
    entries = {}
    for model in headlines_reading(name):
        headline = HEADLINES[model]
        if built_after.intersection(headline.reads):
            continue
        if headline not in computed:
            computed[headline] = headline_entry(con, model)
        entries[model] = computed[headline]
    return entries


class Descriptions:
    """The lines a dbt invocation has written so far (`refresh` reads the new ones)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[dict[str, Any]] = []
        self._read = 0
        self._partial = b""
        self._last: dict[str, int] = {}  # model name -> index of its last line
        self._tables: dict[tuple[str, str], dict[str, Any]] = {}

    def refresh(self) -> None:
        try:
            with self.path.open("rb") as source:
                source.seek(self._read)
                data = source.read()
        except OSError:  # none yet, or none at all (dbt without the server)
            return
        self._read += len(data)
        *complete, self._partial = (self._partial + data).split(b"\n")
        for raw in complete:
            line = json.loads(raw)
            self._last[line["name"]] = len(self.lines)
            self._tables[(line["schema"], line["name"])] = line["table"]
            self.lines.append(line)

    def final(self, schema: str, name: str, building: Iterable[str]
              ) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        """(table description, headline entry) of `schema.name` once both are final; None
        until then. `building`: the models the step builds."""
        table = self._tables.get((schema, name))
        if table is None:
            return None
        headline = HEADLINES.get(name)
        if headline is None:
            return table, None
        building = set(building)
        reads = [model for model in headline.reads if model in building or model == name]
        if not reads or any(model not in self._last for model in reads):
            return None  # not final yet (or never here: the step reads it after dbt exits)
        last = self.lines[max(self._last[model] for model in reads)]
        return table, last["headlines"][name]
