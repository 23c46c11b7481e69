"""Fixtures for the orchestration tests.

dbt artifacts (the manifest Dagster loads) go to a tmp folder, not the repository's target/.
`make_settings` comes from tests/conftest.py, loaded by path: every test folder's conftest is
imported under the module name `conftest`, so `from conftest import ...` is ambiguous.
"""

import importlib.util
import os
import sys
import tempfile
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
