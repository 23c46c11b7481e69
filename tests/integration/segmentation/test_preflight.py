"""Without a usable Java or Connect server, `retail segment` says so at once, no stack trace.

Real subprocesses of the real CLI with JAVA_HOME / PATH / SPARK_REMOTE pointing to nowhere.
Java older than 17 is not installed here, so the version check is exercised on real
`java -version` texts.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from spark_servers import free_port

from retail.segmentation.session import check_java, parse_java_version


def _segment(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("JAVA_HOME", "SPARK_REMOTE", "SPARK_MASTER")}
    base["RETAIL_DUCKDB_PATH"] = str(tmp_path / "retail.duckdb")
    return subprocess.run([sys.executable, "-m", "cli.main", "segment"], env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_java_home_pointing_nowhere(tmp_path) -> None:
    proc = _segment(tmp_path, JAVA_HOME=str(tmp_path / "no-jdk"))
    assert proc.returncode == 1
    assert f"JAVA_HOME={tmp_path / 'no-jdk'} has no bin/java" in proc.stderr
    assert "Install a JDK or JRE 17 or newer" in proc.stderr
    assert "Traceback" not in proc.stderr and "Py4J" not in proc.stderr


def test_no_java_on_path(tmp_path) -> None:
    proc = _segment(tmp_path, PATH=str(tmp_path / "empty-bin"))
    assert proc.returncode == 1
    assert "no Java was found" in proc.stderr and "SPARK_REMOTE" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreachable_spark_connect_fails_fast(tmp_path) -> None:
    port = free_port()  # nothing listens there
    proc = _segment(tmp_path, SPARK_REMOTE=f"sc://127.0.0.1:{port}")
    assert proc.returncode == 1
    assert f"cannot reach Spark Connect at sc://127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_spark_remote_that_is_not_a_connect_url(tmp_path) -> None:
    proc = _segment(tmp_path, SPARK_REMOTE="http://spark.example:15002")
    assert proc.returncode == 1
    assert "is not a Spark Connect URL (sc://host:port)" in proc.stderr


def test_the_installed_java_passes() -> None:
    assert check_java() >= 17


@pytest.mark.logic
@pytest.mark.parametrize(("output", "major"), [
    ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
    ('java version "1.8.0_392"\nJava(TM) SE Runtime Environment (build 1.8.0_392-b08)', 8),
    ('openjdk version "11.0.21" 2023-10-17 LTS', 11),
    ('openjdk version "21" 2023-09-19', 21),
    ('openjdk version "25.0.1" 2025-10-21 LTS', 25),
    ("Error: could not find libjava.so", None),
])
def test_java_version_parsing(output: str, major: int | None) -> None:
    assert parse_java_version(output) == major
