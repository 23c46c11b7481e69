"""Real Spark servers from the pyspark wheel, each on free loopback ports for the duration
of a `with` block and always stopped afterwards (by process group id): a Spark Connect server
(`sbin/start-connect-server.sh`) and a standalone master with one worker (`bin/spark-class`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server's process group (bash -> spark-submit -> java), by its id."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class ConnectServer:
    port: int
    proc: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 240) -> None:
        """Block until the gRPC port accepts connections (the JVM takes ~10-30 s to boot)."""
        deadline = time.monotonic() + timeout
        while not _listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Spark Connect server did not start on {self.port}:\n"
                                   + self.log_path.read_text()[-3000:])
            time.sleep(0.5)


@contextmanager
def spark_connect_server(work: Path) -> Iterator[ConnectServer]:
    """Start a Spark Connect server (local[2] master, loopback); `wait_ready()` before use.

    Yielding before it is ready lets the caller do other work while the JVM boots."""
    import pyspark

    home = Path(pyspark.__file__).resolve().parent
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    # SPARK_MASTER would make spark-daemon.sh rsync from it; SPARK_REMOTE is for clients.
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPARK_MASTER", "SPARK_REMOTE", "SPARK_HOME")}
    env.update(SPARK_LOG_DIR=str(work / "logs"), SPARK_PID_DIR=str(work / "pids"),
               SPARK_IDENT_STRING=f"retail-test-{port}")
    confs = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
    }
    cmd = ["bash", str(home / "sbin" / "start-connect-server.sh"), "--wait",
           "--master", "local[2]", "--driver-memory", "1g"]
    for key, value in confs.items():
        cmd += ["--conf", f"{key}={value}"]
    log_path = work / "connect-server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield ConnectServer(port, proc, log_path)
    finally:
        _stop(proc)


def _spark_class(home: Path, args: list[str], env: dict[str, str], log_path: Path
                 ) -> subprocess.Popen:
    with open(log_path, "w") as log:
        return subprocess.Popen(["bash", str(home / "bin" / "spark-class"), *args], env=env,
                                stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


@contextmanager
def standalone_cluster(work: Path, timeout: float = 240) -> Iterator[str]:
    """A real Spark standalone master + one worker (2 cores, 1.5 GB) from the pyspark wheel's
    jars, on loopback; yields the master URL once the worker has registered."""
    import pyspark

    home = Path(pyspark.__file__).resolve().parent
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_MASTER", "SPARK_REMOTE")}
    env.update(SPARK_HOME=str(home), SPARK_WORKER_DIR=str(work / "worker"),
               SPARK_LOG_DIR=str(work / "logs"))
    port = free_port()
    url = f"spark://127.0.0.1:{port}"
    procs = [_spark_class(home, ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                 "--port", str(port), "--webui-port", str(free_port())],
                          env, work / "master.log")]
    try:
        deadline = time.monotonic() + timeout
        while not _listening(port):
            if procs[0].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Spark master did not start:\n"
                                   + (work / "master.log").read_text()[-3000:])
            time.sleep(0.5)
        procs.append(_spark_class(home, ["org.apache.spark.deploy.worker.Worker", "--host",
                                         "127.0.0.1", "--cores", "2", "--memory", "1500m",
                                         "--webui-port", str(free_port()), url],
                                  env, work / "worker.log"))
        while "Registering worker" not in (work / "master.log").read_text():
            if procs[1].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Spark worker did not register:\n"
                                   + (work / "worker.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        for proc in reversed(procs):
            _stop(proc)
