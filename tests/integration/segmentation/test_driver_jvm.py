"""The local driver JVM's standard error reaches the user less Spark's incubator-module warning
(retail/segmentation/driver_jvm.py): a real session in a child process, a JVM that fails to
start, and the relay on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from retail.segmentation import driver_jvm

SESSION = """
import sys, threading
from pathlib import Path
from pyspark import SparkContext
from retail.segmentation.session import release_spark_gateway, start_session
from retail.settings import Settings

spark = start_session(Settings.rooted_at(Path(sys.argv[1])))
assert spark.range(4).count() == 4
spark.sparkContext._jvm.java.lang.System.err.println("a line the JVM printed")
spark.stop()
release_spark_gateway()
assert SparkContext._gateway is None
assert not [t for t in threading.enumerate() if t.name == "spark-stderr"], "relay joined"
print("ok")
"""

FAILING = """
from retail.segmentation import driver_jvm
try:
    driver_jvm.launch({"spark.master": "local[1]", "spark.app.name": "t",
                       "spark.driver.extraJavaOptions": "-javaagent:/no/such/agent.jar"})
except Exception as exc:
    print("raised", type(exc).__name__, flush=True)
"""


def _child(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    # both streams into one pipe: their order is the order the user would see them in
    return subprocess.run([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)


def test_a_session_prints_no_incubator_warning_but_relays_the_jvm(tmp_path: Path) -> None:
    proc = _child(SESSION, str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "incubator" not in proc.stdout, proc.stdout
    assert "a line the JVM printed\n" in proc.stdout
    assert proc.stdout.rstrip().endswith("ok")


def test_a_jvm_that_fails_to_start_is_heard_before_the_error() -> None:
    proc = _child(FAILING)
    lines = proc.stdout.splitlines()
    assert "raised PySparkRuntimeError" in lines, proc.stdout
    said = [i for i, line in enumerate(lines) if "/no/such/agent.jar" in line]
    assert said and said[0] < lines.index("raised PySparkRuntimeError"), proc.stdout
    assert "Error occurred during initialization of VM" in lines


def test_the_relay_drops_only_the_exact_warning_line() -> None:
    source_read, source_write = os.pipe()
    sink_read, sink_write = os.pipe()
    relay = threading.Thread(target=driver_jvm.relay, args=(source_read,),
                             kwargs={"fd_out": sink_write})
    relay.start()
    os.write(source_write, b"first\n" + driver_jvm.NOISE + b"\n"
             + b"WARNING: Using incubator modules: jdk.incubator.foo\n"
             + driver_jvm.NOISE + b"\r\n" + b"  " + driver_jvm.NOISE + b"\nlast, no newline")
    os.close(source_write)
    relay.join(10)
    assert not relay.is_alive(), "the relay ends at EOF"
    os.close(sink_write)
    with os.fdopen(sink_read, "rb") as sink:
        relayed = sink.read()
    assert relayed == (b"first\nWARNING: Using incubator modules: jdk.incubator.foo\n"
                       b"  " + driver_jvm.NOISE + b"\nlast, no newline")
