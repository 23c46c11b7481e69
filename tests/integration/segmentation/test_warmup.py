"""The run's Spark session started in the background (retail/segmentation/warmup.py): the Spark
step takes the warmed session, primed by a first job on made-up input of the real input's
columns, and skips its own Java check only when the warm-up's passed; a session nobody took is
stopped, Spark Connect is not warmed.

Runs in a child process: a warmed local session would otherwise be the same JVM session the
other segmentation tests share (getOrCreate), and `discard` would stop it under them."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
from segmentation_fixtures import write_gold

from retail.segmentation import warmup
from retail.segmentation.extract import export_purchases

SCRIPT = """
import sys
import tempfile
from pathlib import Path
from pyspark import SparkContext
from retail.segmentation import warmup
from retail.segmentation.session import spark_target
from retail.settings import Settings

settings = Settings.rooted_at(Path(sys.argv[1]))
target = spark_target(settings)
assert warmup.take(target) is None, "nothing started: nothing to take"
scratch = Path(sys.argv[1]) / "tmp"
scratch.mkdir()
tempfile.tempdir = str(scratch)  # where the warm-up's made-up input goes

assert not warmup.checked(target), "nothing started: nothing checked"
warmup.start(settings)
first = warmup._pending
assert first.checked.wait(300) and warmup.checked(target), "the warm-up checked Java"
session = warmup.take(target)  # once started, the warm-up job may still run beside
assert not warmup.checked(target), "taken: nothing left to vouch for"
assert session is not None and session.range(5).count() == 5
partitions = session.conf.get("spark.sql.shuffle.partitions")
first.thread.join()
assert first is not None and first.primed, "the taken session ran the warm-up job"
assert session.conf.get("spark.sql.shuffle.partitions") == partitions
assert not list(scratch.glob("retail-spark-warmup-*")), list(scratch.iterdir())
# what the warm-up ran (it swallows errors: here they would show), while the step sets its own
# settings on the session it took: the warm-up job's are its own, never the step's
session.conf.set("spark.sql.shuffle.partitions", "3")
import threading
priming = threading.Thread(target=warmup._prime, args=(session,))
priming.start()
seen = set()
while priming.is_alive():
    seen.add(session.conf.get("spark.sql.shuffle.partitions"))
priming.join()
assert seen == {"3"}, f"the step's settings changed under it: {seen}"
assert not list(scratch.glob("retail-spark-warmup-*"))
assert warmup.take(target) is None, "a warmed session is taken once"
warmup.stop(session)  # the step is done with it: stopped in the background
warmup.discard()  # the run's end waits for that stop
assert SparkContext._active_spark_context is None, "the taken session is stopped"
assert SparkContext._gateway is None, "and its JVM gateway shut down"

warmup.start(settings)
pending = warmup._pending
warmup.discard()  # the run ended before its Spark step
assert SparkContext._active_spark_context is None, "an untaken session is stopped"
assert pending is not None and not pending.primed, "a discarded warm-up runs no job"

import os
os.environ["JAVA_HOME"] = str(scratch / "no-java")  # a warm-up whose Java check fails
warmup.start(settings)
pending = warmup._pending
pending.thread.join()
assert pending.session is None and not warmup.checked(target), "a failed check vouches for nothing"
warmup.discard()
del os.environ["JAVA_HOME"]

remote = Settings.rooted_at(Path(sys.argv[1]), SPARK_REMOTE="sc://127.0.0.1:1")
warmup.start(remote)
assert warmup.take(spark_target(remote)) is None, "Spark Connect is not warmed"
print("ok")
"""


def test_warmed_session_is_taken_once_and_an_untaken_one_is_stopped(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "ok"


def test_the_warm_up_input_has_the_columns_of_the_real_input(tmp_path: Path) -> None:
    """The warm-up primes the code paths of the real job only if it reads what the step reads."""
    warehouse = tmp_path / "warehouse.duckdb"
    write_gold(warehouse, ["k1"], [("SO1", "k1", date(2024, 1, 5), 10.0)], [("SO1", "k1", 2.5)])
    extract = export_purchases(warehouse, tmp_path / "input")
    with duckdb.connect() as con:
        def columns(relation: str) -> list[tuple[str, str]]:
            return [row[:2] for row in con.execute(f"describe {relation}").fetchall()]

        assert columns(f"select * from read_parquet('{extract.purchases}')") == columns(
            warmup._PRIME_PURCHASES)
        assert columns(f"select * from read_parquet('{extract.returns}')") == columns(
            warmup._PRIME_RETURNS)
