"""Fixtures for the orchestration tests.

dbt artifacts (the manifest Dagster loads) go to a tmp folder, not the repository's target/.
Tests build settings (`Settings.rooted_at`), not environments: a run in this process is handed
the value (`run_pipeline(config, settings)`, `main(argv, settings)`), a child process gets
`settings.child_env()`, the one mapping of settings to variables.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from retail.settings import Settings

os.environ.setdefault("DBT_TARGET_PATH", tempfile.mkdtemp(prefix="retail-dbt-target-"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with every path under this test's tmp folder."""
    return Settings.rooted_at(tmp_path)


@contextmanager
def pipeline_env(root: Path) -> Iterator[Settings]:
    """Settings with every path under `root`, for a pipeline run in this process or a child.

    Dagster's own DAGSTER_HOME (not a setting of ours) is unset meanwhile: runs go to an
    ephemeral instance, never to a developer's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DAGSTER_HOME", raising=False)
        yield Settings.rooted_at(root)


@pytest.fixture(scope="session")
def run_env():
    """`pipeline_env` for tests (test modules cannot import this conftest unambiguously)."""
    return pipeline_env
