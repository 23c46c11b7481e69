"""The run's Spark session started in the background (retail/segmentation/warmup.py): the Spark
step takes the warmed session, a session nobody took is stopped, Spark Connect is not warmed.

Runs in a child process: a warmed local session would otherwise be the same JVM session the
other segmentation tests share (getOrCreate), and `discard` would stop it under them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from pathlib import Path
from pyspark import SparkContext
from retail.segmentation import warmup
from retail.segmentation.session import spark_target
from retail.settings import Settings

settings = Settings.rooted_at(Path(sys.argv[1]))
target = spark_target(settings)
assert warmup.take(target) is None, "nothing started: nothing to take"

warmup.start(settings)
session = warmup.take(target)
assert session is not None and session.range(5).count() == 5
assert warmup.take(target) is None, "a warmed session is taken once"
session.stop()

warmup.start(settings)
warmup.discard()  # the run ended before its Spark step
assert SparkContext._active_spark_context is None, "an untaken session is stopped"

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
