"""Starting the one Spark session of a segmentation run: local, a classic master, or Spark Connect.

Why a module of its own: the three ways to reach Spark need different things. A local or
classic-master session starts a JVM on this machine, so Java 17+ must be there and we check it
*before* Spark does (Spark's own failure is a py4j stack trace that never says "install Java").
A Spark Connect session (`SPARK_REMOTE=sc://host:port`) is a gRPC client: no local Java, and the
cluster keeps its own tuning. Only the local default is tuned for a small machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retail.errors import RetailError
from retail.segmentation import class_archive, driver_jvm
from retail.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MIN_JAVA = 17
INSTALL_HINT = (
    "Install a JDK or JRE 17 or newer (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; "
    "macOS: `brew install openjdk@17`) and put its `java` on PATH or set JAVA_HOME to it. "
    "Or run against a Spark cluster with SPARK_REMOTE=sc://host:port (no local Java needed)."
)
# Local mode on a shared 2-core machine: few shuffle partitions, no UI, no console progress.
LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
}
# The local driver JVM compiles with C1 only and collects with the serial collector. Why: the
# JVM's background JIT (C2) and parallel GC threads cost more CPU than the job itself on data of
# real ERP size, and they take it from dbt and MongoDB working beside it. Measured on a
# real-size extract (60k order lines), start + warm-up job + job: 38.2 s of JVM CPU -> 18.7 s,
# and 22.7 s -> 16.3 s of wall; at scale 100 (6M lines) the job takes ~9% longer (49 -> 54 s).
LOCAL_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
# Start-up chatter (native-hadoop warnings, "Setting default log level") goes to stderr before
# setLogLevel can run; a log4j2 file handed to the driver JVM silences it from the start. Spark
# picks a PySpark driver's "shell" level from the PythonGatewayServer logger: pin it to the root's.
LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
"""


@dataclass(frozen=True)
class SparkTarget:
    """Where the session goes: mode is 'connect', 'master' or 'local'; url is the address;
    class_cache the folder of a local driver's class archive (class_archive.py), None for none."""

    mode: str
    url: str
    class_cache: Path | None = None


def spark_target(settings: Settings) -> SparkTarget:
    if settings.spark_remote:
        return SparkTarget("connect", settings.spark_remote)
    if settings.spark_master and not settings.spark_master.startswith("local"):
        return SparkTarget("master", settings.spark_master)
    return SparkTarget("local", settings.spark_master or "local[*]", settings.spark_class_cache)


def parse_java_version(output: str) -> int | None:
    """Major version from `java -version` output: '1.8.0_392' -> 8, '17.0.15' -> 17."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?[^"]*"', output)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    return major


def find_java(env: dict[str, str] | None = None) -> str:
    """The java Spark's launcher will use: $JAVA_HOME/bin/java when JAVA_HOME is set, else PATH."""
    env = dict(os.environ if env is None else env)
    java_home = env.get("JAVA_HOME")
    if java_home:
        java = Path(java_home) / "bin" / "java"
        if not java.is_file():
            raise RetailError(
                f"Spark needs Java {MIN_JAVA}+, but JAVA_HOME={java_home} has no bin/java. "
                + INSTALL_HINT
            )
        return str(java)
    java = shutil.which("java", path=env.get("PATH"))
    if java is None:
        raise RetailError(
            f"Spark needs Java {MIN_JAVA}+, and no Java was found (JAVA_HOME is not set and "
            "`java` is not on PATH). " + INSTALL_HINT
        )
    return java


def check_java(env: dict[str, str] | None = None) -> int:
    """Fail with a plain message unless Spark would start Java >= 17; returns the major version."""
    java = find_java(env)
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise RetailError(f"Spark needs Java {MIN_JAVA}+, but {java} does not run ({exc}). "
                          + INSTALL_HINT) from exc
    version = parse_java_version(proc.stderr + proc.stdout)
    if proc.returncode != 0 or version is None:
        raise RetailError(f"Spark needs Java {MIN_JAVA}+, but `{java} -version` did not report a "
                          "version. " + INSTALL_HINT)
    if version < MIN_JAVA:
        raise RetailError(f"Spark needs Java {MIN_JAVA}+, but {java} is Java {version}. "
                          + INSTALL_HINT)
    return version


def check_reachable(url: str, timeout: float = 10.0) -> None:
    """Fail fast when nothing listens at a Spark Connect URL.

    The Connect client retries an unreachable server with back-off for minutes before it
    gives up; one TCP connect says the same thing in seconds."""
    match = re.match(r"sc://(\[[^\]]+\]|[^:/;]+)(?::(\d+))?", url)
    if not match:
        raise RetailError(f"SPARK_REMOTE={url} is not a Spark Connect URL (sc://host:port)")
    host, port = match.group(1).strip("[]"), int(match.group(2) or 15002)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise RetailError(
            f"cannot reach Spark Connect at {url} ({host}:{port}: {exc.strerror or exc}). "
            "Start the server (sbin/start-connect-server.sh) or fix SPARK_REMOTE."
        ) from None


def shuffle_partitions_for(rows: int, cores: int | None = None) -> int:
    """Shuffle partitions for a local run: about one per 250k order lines, at most 2 per core.

    Spark's default (200) means hundreds of near-empty tasks on a small machine; one
    partition per core-pair of work keeps both cores busy without the task overhead."""
    cores = cores or os.cpu_count() or 1
    return max(1, min(2 * cores, -(-rows // 250_000)))


def preflight(target: SparkTarget) -> None:
    """The checks that fail in a second instead of after minutes: Java, or the Connect server."""
    if target.mode == "connect":
        check_reachable(target.url)
    else:
        check_java()


def start_session(settings: Settings, driver_memory: str = "1g") -> SparkSession:
    """One SparkSession for one run, checked first; the caller stops it."""
    target = spark_target(settings)
    preflight(target)
    return open_session(target, driver_memory)


def open_session(target: SparkTarget, driver_memory: str = "1g",
                 extra_java_options: str = "") -> SparkSession:
    """A SparkSession at `target`, which `preflight` has already checked (see
    `pipeline.run_segmentation`: it checks before exporting, then opens the session).

    A local driver maps the class archive of `target.class_cache` when there is one (and starts
    again without it, dropping it, if it would not start with it); when there is none, its
    making is arranged for after this process exits (class_archive.py)."""
    from pyspark.sql import SparkSession

    # pyspark 4.3 warns about pandas 3 on import; segmentation never uses pandas.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    if target.mode == "connect":
        try:
            return SparkSession.builder.remote(target.url).appName("retail-segmentation").create()
        except Exception as exc:  # grpc and pyspark raise several kinds; all mean "unreachable"
            raise RetailError(f"cannot reach Spark Connect at {target.url}: {exc}") from exc
    java_options = driver_java_options(target, extra_java_options)
    options = {
        "spark.master": target.url,
        "spark.app.name": "retail-segmentation",
        "spark.driver.extraJavaOptions": java_options,
    }
    if target.mode == "local":
        options |= {"spark.driver.memory": driver_memory, **LOCAL_CONF}
    archive = _class_archive(target)
    if archive is not None and archive.ready():
        mapped = {**options, "spark.driver.extraJavaOptions": f"{java_options} {archive.options()}"}
        try:
            return _start(target, mapped)
        except RetailError:
            archive.discard()  # this session starts without it; it is made again
    if archive is not None:
        class_archive.create_after_exit(archive)
    return _start(target, options)


def driver_java_options(target: SparkTarget, extra: str = "") -> str:
    """The driver JVM's options for `target`, then `extra`; writes the log4j2 file they name."""
    log_config = Path(tempfile.gettempdir()) / f"retail-spark-log4j2-{os.getuid()}.properties"
    log_config.write_text(LOG4J2)
    java_options = f"-Dlog4j2.configurationFile=file:{log_config}"
    if target.mode == "local":
        java_options += f" {LOCAL_JAVA_OPTIONS}"
    return f"{java_options} {extra}" if extra else java_options


def _class_archive(target: SparkTarget) -> class_archive.Archive | None:
    if target.mode != "local" or target.class_cache is None:
        return None
    return class_archive.archive_for(target.class_cache, find_java(), LOCAL_JAVA_OPTIONS)


def _start(target: SparkTarget, options: dict[str, str]) -> SparkSession:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in options.items():
        builder = builder.config(key, value)
    try:
        driver_jvm.launch(options)  # the JVM's standard error without its incubator warning
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: py4j/pyspark errors vary by cause
        release_spark_gateway()
        raise RetailError(f"Spark failed to start ({target.mode} {target.url}): {exc}") from exc
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def release_spark_gateway(timeout: float = 10.0) -> None:
    """Shut down the JVM gateway PySpark keeps after the Spark step stopped its session.

    Why: PySpark keeps the gateway for a next session, and py4j's `FinalizerWorker` daemon thread
    with it. A daemon thread still running at interpreter exit is frozen, never freed, and so is
    everything its frame reaches: py4j's module globals, hence the `logging` manager with every
    logger and handler of the run, hence the run's definitions and the DuckDB types their
    functions mention. DuckDB's binding then prints ~100 lines of `nanobind: leaked ...` at exit.
    Only a gateway no active SparkContext uses is shut down; a later session starts a new one.
    """
    if "pyspark" not in sys.modules:
        return
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is None or SparkContext._active_spark_context is not None:
        return
    with contextlib.suppress(Exception):  # a JVM that is already gone
        gateway.shutdown()
    SparkContext._gateway = None
    SparkContext._jvm = None
    jvm = getattr(gateway, "proc", None)  # the local JVM PySpark launched (none for a remote)
    if jvm is not None:
        with contextlib.suppress(OSError):
            jvm.stdin.close()  # the JVM exits when its driver's stdin closes
        try:
            jvm.wait(timeout)
        except subprocess.TimeoutExpired:
            jvm.kill()
            jvm.wait()
        driver_jvm.join_relays(timeout)
    for thread in threading.enumerate():
        if type(thread).__name__ == "FinalizerWorker":  # py4j's; exits within a second
            thread.join(timeout)
