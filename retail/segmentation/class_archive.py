"""A class-data-sharing archive of Spark's classes, so the local driver JVM starts on half the CPU.

Why: a local Spark session spends most of its start loading, verifying and linking Spark's
classes (~3 s of CPU here), and its first job as much again for the classes of Parquet,
aggregation and code generation. The JVM can map classes it loaded once from an archive
instead (HotSpot's AppCDS: `-XX:ArchiveClassesAtExit` writes one when a JVM exits,
`-XX:SharedArchiveFile` maps it). Measured here (Java 17, PySpark 4): session start 3.2 -> 1.7 s,
its warm-up job 4.0 -> 2.4 s, JVM CPU for both 8.0 -> 4.8 s. In `retail run`, where that start
overlaps the run's own start on two busy cores, a real-size extract runs ~1 s faster.

The archive is a cache of the installed software, like Python's `__pycache__`: it lives in the
environment (default `<sys.prefix>/var/cache/retail-spark`, `RETAIL_SPARK_CLASS_CACHE` to move
it, `off` to go without), one file named after what it depends on (`key`: the java binary and
its JVM library, PySpark's version and jars, the driver's JVM flags). It is made once, after
the first process that starts a local session without one has exited (`create_after_exit`): a
detached `python -m retail.segmentation.class_archive` waits for its stdin to close (its parent's
exit, however it ends), then, niced and under a lock, starts a session with the same options,
runs the warm-up job, and lets the JVM write the archive as it exits. The file is written under
a temporary name, checked by a session started with `-Xshare:on` (the JVM refuses an archive it
cannot map), and only then renamed into place; archives of other keys are removed once a
week old.

Why so careful: a JVM given a truncated archive crashes instead of ignoring it. One that does
not match (another JDK build, other jars) is ignored silently, and `-Xlog:cds=off` keeps that
quiet. If a session still fails to start with the archive, `open_session` drops the archive
and starts without it (session.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# CDS reports every class it skips and any archive it cannot use as a warning on stdout/stderr:
# nothing a user can act on (the JVM then loads those classes the usual way).
QUIET = "-Xlog:cds=off,cds+dynamic=off"
LOG = "class-archive.log"  # what the last creation did, beside the archives

# Archives of other keys (a JDK upgraded, another one on PATH) are removed when a new one is made
# and they are older than this: two JVMs used in turn never remove each other's.
STALE_SECONDS = 7 * 24 * 3600

_creator: subprocess.Popen[bytes] | None = None  # this process's, waiting for its exit


@dataclass(frozen=True)
class Archive:
    """The archive for one java and one Spark installation, in `folder`."""

    folder: Path
    key: str

    @property
    def path(self) -> Path:
        return self.folder / f"spark-{self.key}.jsa"

    def ready(self) -> bool:
        return self.path.is_file()

    def options(self) -> str:
        """The driver's extra JVM options that map the archive. A JVM that crashes (on a broken
        archive, it does) writes its report beside the archives, not into the working folder."""
        return (f"-XX:SharedArchiveFile={self.path} {QUIET} "
                f"-XX:ErrorFile={self.folder / 'hs_err_pid%p.log'}")

    def discard(self) -> None:
        """Remove an archive a JVM would not start with (it is made again later)."""
        with contextlib.suppress(OSError):
            self.path.unlink()


def key(java: str, java_options: str) -> str:
    """What an archive depends on: the java binary and its JVM library (a JDK upgraded in place
    changes them), PySpark's version and jars (the classpath the archive was made from), and the
    driver's JVM options that change how classes are compiled or laid out
    (session.LOCAL_JAVA_OPTIONS; not the paths of per-process files)."""
    import pyspark

    real = Path(java).resolve()
    jars = Path(pyspark.__file__).parent / "jars"
    parts = [str(real), _stamp(real), *(_stamp(lib) for lib in real.parent.parent.glob(
        "lib/server/libjvm.*")), pyspark.__version__, str(jars.resolve()),
        *sorted(p.name for p in jars.glob("*.jar")), java_options]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def archive_for(folder: Path, java: str, java_options: str) -> Archive:
    return Archive(folder, key(java, java_options))


def _writable(folder: Path) -> bool:
    """Whether `folder` exists writable, or could be made in its nearest existing parent."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    return existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)


def create_after_exit(archive: Archive) -> None:
    """Once per process: start the detached creator of `archive`, which waits for this process
    to exit (its stdin closes), then makes the archive; nothing when the folder is not writable."""
    global _creator
    if _creator is not None or archive.ready() or not _writable(archive.folder):
        return
    _creator = subprocess.Popen(
        [sys.executable, "-m", "retail.segmentation.class_archive", str(archive.folder),
         archive.key],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # not stopped with this process's terminal (Ctrl-C)
    )


def create(archive: Archive, log: Any) -> bool:
    """Make `archive` unless it exists or another process is making it; True when it is there.

    A local session with the driver's options and `-XX:ArchiveClassesAtExit`, the warm-up job,
    the JVM's exit (it writes the archive), then a session with `-Xshare:on` on the new file
    before it is renamed into place. The folder exists (`main` made it)."""
    with (archive.folder / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("another process is making the archive", file=log)
            return False
        if archive.ready():
            return True
        scratch = archive.path.with_name(f"{archive.path.name}.{os.getpid()}.tmp")
        try:
            _run_session(f"-XX:ArchiveClassesAtExit={scratch} {QUIET}", prime=True)
            if not scratch.is_file():
                print("the JVM wrote no archive", file=log)
                return False
            _run_session(f"-XX:SharedArchiveFile={scratch} -Xshare:on {QUIET}", prime=False)
            os.replace(scratch, archive.path)
        finally:
            with contextlib.suppress(OSError):
                scratch.unlink()
        for other in archive.folder.glob("spark-*.jsa"):  # another JDK's or Spark's, unused
            if other != archive.path and time.time() - other.stat().st_mtime > STALE_SECONDS:
                with contextlib.suppress(OSError):
                    other.unlink()
        return True


def _run_session(extra_options: str, prime: bool) -> None:
    """A local session with `extra_options` after the driver's own; with `prime`, the warm-up
    job; then stopped, and its JVM's exit waited for (it writes an archive as it exits)."""
    from retail.segmentation import session, warmup

    spark = session.open_session(session.SparkTarget("local", "local[*]"),
                                 extra_java_options=extra_options)
    if prime:
        warmup._prime(spark)
    spark.stop()
    session.release_spark_gateway(timeout=600)


def main(folder: str, key_: str) -> int:
    """The creator: waits for its parent's exit (stdin at EOF), then makes the archive."""
    sys.stdin.buffer.read()
    with contextlib.suppress(OSError):
        os.nice(19)
    archive = Archive(Path(folder), key_)
    if archive.ready() or not _writable(archive.folder):
        return 0
    archive.folder.mkdir(parents=True, exist_ok=True)
    os.chdir(archive.folder)  # where a crashing JVM leaves its hs_err file
    with (archive.folder / LOG).open("a") as log:
        started = time.time()
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} making {archive.path.name}", file=log)
        try:
            made = create(archive, log)
        except Exception as exc:  # a cache: a failure leaves things as they were
            print(f"failed: {type(exc).__name__}: {exc}", file=log)
            return 1
        print(f"{'done' if made else 'not made'} in {time.time() - started:.1f} s", file=log)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
