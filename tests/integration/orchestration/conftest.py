"""Fixtures for the orchestration tests.

dbt artifacts (the manifest Dagster loads) go to a tmp folder, not the repository's target/.
`make_settings` comes from tests/conftest.py, loaded by path: every test folder's conftest is
imported under the module name `conftest`, so `from conftest import ...` is ambiguous.
"""

import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("DBT_TARGET_PATH", tempfile.mkdtemp(prefix="retail-dbt-target-"))

_spec = importlib.util.spec_from_file_location(
    "retail_tests_root_conftest", Path(__file__).parents[2] / "conftest.py"
)
_root = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(_root)
make_settings = _root.make_settings


@pytest.fixture
def settings(tmp_path: Path):
    """Settings with every path under this test's tmp folder."""
    return make_settings(tmp_path)


@contextmanager
def pipeline_env(root: Path) -> Iterator:
    """Point every process of a pipeline run (this one, dbt's) at folders under `root`."""
    settings = make_settings(root)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "RETAIL_DUCKDB_PATH": settings.duckdb_path,
            "RETAIL_RAW_DIR": settings.raw_dir,
            "RETAIL_EXPORT_DIR": settings.export_dir,
            "RETAIL_DATA_DIR": settings.data_dir,
        }.items():
            patch.setenv(name, str(value))
        patch.delenv("DAGSTER_HOME", raising=False)
        patch.delenv("MONGODB_URI", raising=False)
        yield settings


@pytest.fixture(scope="session")
def run_env():
    """`pipeline_env` for tests (test modules cannot import this conftest unambiguously)."""
    return pipeline_env
