"""Which real components a test needs, as pytest markers, so a developer can pick a selection.

`pytest -m "not slow"` runs the tests that need nothing but Python (in well under a minute);
`pytest -m "not (dbt or spark or mongodb or dagster)"` adds the DuckDB ingest tests; `make test`
runs everything. Markers come from three places, so test files rarely carry any:

- the folder a test lives in (`FOLDER_MARKS`), unless the test is marked `logic`;
- the fixtures it uses, directly or through other fixtures (`FIXTURE_MARKS`);
- explicit marks in the test file, for what neither shows (a direct `run_dbt` call).

`logic` and `slow` are derived: a fast test that needs no component is marked `logic`; every test
that needs one is slow, and so is every integration test in a folder not listed here unless it
is marked `logic`. A test marked `slow` by hand stays slow.
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: marker -> what it means (registered in pyproject.toml; `--strict-markers` is on).
COMPONENTS = ("duckdb", "dbt", "spark", "mongodb", "dagster")

#: folder (relative to the repository root) -> components every test in it needs.
FOLDER_MARKS: dict[str, tuple[str, ...]] = {
    "tests/unit": (),
    "tests/integration/ingest": ("duckdb",),
    "tests/integration/silver": ("duckdb", "dbt"),
    "tests/integration/gold": ("duckdb", "dbt"),
    "tests/integration/segmentation": ("duckdb", "spark"),
    "tests/integration/nosql": ("duckdb", "mongodb"),
    "tests/integration/orchestration": ("duckdb", "dagster"),
}

#: fixture -> components a test using it needs (fixtures built on these inherit them).
FIXTURE_MARKS: dict[str, tuple[str, ...]] = {
    "built_warehouse": ("duckdb", "dbt"),
    "spark": ("spark",),
    "mongo": ("mongodb",),
    "run_env": ("duckdb", "dbt", "spark", "mongodb", "dagster"),
}


def _folder_marks(path: Path, root: Path) -> tuple[str, ...] | None:
    """The components of the deepest listed folder holding `path`; None when none is listed."""
    relative = path.relative_to(root).as_posix()
    found = None
    for folder, marks in FOLDER_MARKS.items():
        if relative.startswith(folder + "/") and (found is None or len(folder) > len(found[0])):
            found = (folder, marks)
    return None if found is None else found[1]


def needs(item: pytest.Item, root: Path) -> tuple[set[str], bool]:
    """(components `item` needs, whether it is slow)."""
    own = {mark.name for mark in item.iter_markers()}
    wanted = own & set(COMPONENTS)
    for fixture in getattr(item, "fixturenames", ()):
        wanted.update(FIXTURE_MARKS.get(fixture, ()))
    folder = _folder_marks(item.path, root)
    if "logic" not in own:
        wanted.update(folder or ())
    unlisted_integration = folder is None and "logic" not in own and (
        item.path.relative_to(root).as_posix().startswith("tests/integration/")
    )
    return wanted, bool(wanted) or "slow" in own or unlisted_integration


def apply_marks(items: list[pytest.Item], root: Path) -> None:
    for item in items:
        wanted, slow = needs(item, root)
        for name in sorted(wanted):
            item.add_marker(getattr(pytest.mark, name))
        item.add_marker(pytest.mark.slow if slow else pytest.mark.logic)
