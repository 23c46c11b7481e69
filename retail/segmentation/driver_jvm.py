"""Launching the local Spark driver's JVM with its standard error relayed, less one line.

Why: Spark 4's launcher always starts the driver JVM with `--add-modules=jdk.incubator.vector`
(`org.apache.spark.launcher.JavaModuleOptions`), and the JVM then prints
`WARNING: Using incubator modules: jdk.incubator.vector` on its standard error before any
logging is set up. No JVM option silences it, and a user can do nothing about it: it was the
one line of library noise left in every `retail run`.

PySpark starts the JVM itself (`launch_gateway`) unless a gateway is already there, and that
function takes `popen_kwargs`. So `launch` starts it the way `SparkSession.builder.getOrCreate`
would (same `spark-submit`, same configuration) but with its standard error on a pipe. A relay
thread copies every line to this process's standard error, unchanged and at once, except that
one warning. Real JVM errors (a bad option, an out-of-memory message, log4j's ERROR lines) still
reach the user, as before.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

NOISE = b"WARNING: Using incubator modules: jdk.incubator.vector"

_relays: list[threading.Thread] = []


def relay(fd_in: int, noise: bytes = NOISE, fd_out: int = 2) -> None:
    """Copy the pipe `fd_in` line by line to `fd_out`, skipping lines that are exactly `noise`,
    until every writer has closed it; then close it."""
    with os.fdopen(fd_in, "rb") as stream:
        for line in iter(stream.readline, b""):
            if line.rstrip(b"\r\n") != noise:
                os.write(fd_out, line)


def launch(options: Mapping[str, str]) -> None:
    """Start the JVM gateway for a session built with `options` (PySpark's would be the same),
    unless PySpark already has one. The session's `getOrCreate` then uses it.

    The relay starts before the JVM, so its lines arrive as it prints them, and a JVM that fails
    to start has its last words relayed before PySpark's error is raised."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    with SparkContext._lock:
        if SparkContext._gateway is not None:
            return
        conf = SparkConf()
        for key, value in options.items():
            conf.set(key, value)
        read_end, write_end = os.pipe()
        thread = threading.Thread(target=relay, args=(read_end,), name="spark-stderr",
                                  daemon=True)
        thread.start()
        try:
            gateway = launch_gateway(conf, popen_kwargs={"stderr": write_end})
        except BaseException:
            os.close(write_end)
            thread.join(5)  # the JVM has exited: its lines are out before the error
            raise
        os.close(write_end)  # the JVM (and the workers it starts) hold their own copies
        _relays.append(thread)
        SparkContext._gateway = gateway
        SparkContext._jvm = gateway.jvm


def join_relays(timeout: float) -> None:
    """Wait for the relays of JVMs that have exited (their pipes reach EOF)."""
    while _relays:
        _relays.pop().join(timeout)
