"""The local driver's class archive (retail/segmentation/class_archive.py), with real JVMs.

Made once by a creator that waits for its parent's exit; mapped by the next local session (the
archive file is among the JVM's mappings); a broken one is dropped and the session starts
without it; one that does not match this JVM is ignored without a word (HotSpot would say so
on stdout).

Sessions run in child processes: in this one, `getOrCreate` would hand back the session the
other segmentation tests share, with its own options."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from retail.segmentation import class_archive, session
from retail.segmentation.session import LOCAL_JAVA_OPTIONS, SparkTarget, find_java
from retail.settings import Settings

# A local session with the class cache in argv[1]; prints whether an archive file of that folder
# is mapped into its JVM, a job's answer, then "ok".
SESSION = """
import sys
from pathlib import Path
from pyspark import SparkContext
from retail.segmentation.session import SparkTarget, open_session

folder = Path(sys.argv[1])
spark = open_session(SparkTarget("local", "local[*]", folder))
pid = SparkContext._gateway.proc.pid
maps = Path(f"/proc/{pid}/maps").read_text()
print("mapped", any(str(p) in maps for p in folder.glob("spark-*.jsa")))
print("answer", spark.range(10).selectExpr("sum(id)").first()[0])
spark.stop()
print("ok")
"""


def run_session(folder: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-c", SESSION, str(folder)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.splitlines()[-1] == "ok"
    assert "answer 45" in proc.stdout
    return proc


def wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.is_file():
            return True
        time.sleep(0.5)
    return path.is_file()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> class_archive.Archive:
    """An archive made the way a run makes it: a process opens a session without one and
    exits; its creator then makes it."""
    folder = tmp_path_factory.mktemp("classes")
    week_old = time.time() - class_archive.STALE_SECONDS - 60
    for name, mtime in (("spark-0ld0ld0ld0ld0ld0.jsa", week_old),
                        ("spark-recentrecent00.jsa", None)):
        (folder / name).write_bytes(b"another JDK's")  # never mapped: not this key
        if mtime:
            os.utime(folder / name, (mtime, mtime))
    proc = run_session(folder)  # no archive yet: starts without, arranges the creator
    assert "mapped False" in proc.stdout
    archive = class_archive.archive_for(folder, find_java(), LOCAL_JAVA_OPTIONS)
    assert wait_for(archive.path, 300), (folder / class_archive.LOG).read_text()
    log = (folder / class_archive.LOG).read_text()
    assert f"making {archive.path.name}" in log and "done in" in log, log
    return archive


def test_the_next_session_maps_the_archive_made_after_the_first_exited(
        made: class_archive.Archive) -> None:
    assert sorted(p.name for p in made.folder.iterdir()) == sorted(
        [made.path.name, class_archive.LOG, ".lock", "spark-recentrecent00.jsa"]
    ), "no scratch file is left, another key's archive is removed once a week old"
    proc = run_session(made.folder)
    assert proc.stdout.splitlines() == ["mapped True", "answer 45", "ok"]
    assert proc.stderr == ""


def test_a_broken_archive_is_dropped_and_the_session_starts_without_it(
        made: class_archive.Archive, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    broken = class_archive.Archive(folder, made.key)
    folder.mkdir()
    with made.path.open("rb") as good, broken.path.open("wb") as out:
        out.write(good.read(made.path.stat().st_size // 4))  # what a JVM killed mid-dump leaves
    proc = run_session(folder)
    assert "mapped False" in proc.stdout
    assert not broken.path.exists(), "dropped"
    assert not list(Path.cwd().glob("hs_err_pid*")), "the JVM's crash report is not left here"
    assert wait_for(broken.path, 300), "then made again"
    assert "mapped True" in run_session(folder).stdout


def test_an_archive_this_jvm_cannot_use_is_ignored_quietly(tmp_path: Path) -> None:
    """An archive of other classes than the session's is no error and prints nothing: the
    session starts as without one. HotSpot warns about such an archive unless told not to."""
    import pyspark

    archive = class_archive.archive_for(tmp_path, find_java(), LOCAL_JAVA_OPTIONS)
    launcher = next((Path(pyspark.__file__).parent / "jars").glob("spark-launcher*.jar"))
    subprocess.run([find_java(), f"-XX:ArchiveClassesAtExit={archive.path}", "-Xlog:cds=off",
                    "-cp", str(launcher), "org.apache.spark.launcher.Main"],
                   capture_output=True, timeout=120)  # fails for want of arguments, then exits
    assert archive.ready()

    def java_version(*options: str) -> str:  # what it prints (HotSpot logs to stdout)
        proc = subprocess.run([find_java(), f"-XX:SharedArchiveFile={archive.path}", *options,
                               "-cp", str(tmp_path), "-version"],
                              capture_output=True, text=True, timeout=120)
        return proc.stdout + proc.stderr

    assert "Unable to use shared archive" in java_version()
    assert "Unable to use shared archive" not in java_version(*class_archive.QUIET.split())
    proc = run_session(tmp_path)
    assert proc.stderr == ""
    assert proc.stdout.splitlines() == ["mapped False", "answer 45", "ok"]
    assert archive.ready(), "a session that started is no reason to drop it"


def test_a_creator_waits_for_its_parent_and_leaves_one_being_made_alone(tmp_path: Path) -> None:
    archive = class_archive.Archive(tmp_path, "0" * 16)
    script = ("import sys, time; from pathlib import Path; "
              "from retail.segmentation import class_archive as c; "
              "c.create_after_exit(c.Archive(Path(sys.argv[1]), '0' * 16)); "
              "print(c._creator.pid, flush=True); time.sleep(3)")
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    creator = int(parent.stdout.readline())
    time.sleep(1.5)
    assert Path(f"/proc/{creator}").exists(), "the creator waits"
    assert not (tmp_path / class_archive.LOG).exists(), "and starts nothing while its parent runs"
    # another process holds the lock: the creator, once its parent exits, leaves it alone
    with (tmp_path / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert parent.wait(30) == 0
        deadline = time.monotonic() + 60
        while Path(f"/proc/{creator}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not archive.ready()
    assert "another process is making the archive" in (tmp_path / class_archive.LOG).read_text()


def test_nothing_is_arranged_where_the_folder_cannot_be_made(tmp_path: Path,
                                                             monkeypatch) -> None:
    monkeypatch.setattr(class_archive, "_creator", None)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    class_archive.create_after_exit(class_archive.Archive(blocker / "cache", "1" * 16))
    assert class_archive._creator is None


def test_the_key_follows_what_the_archive_depends_on() -> None:
    java = find_java()
    assert class_archive.key(java, "-Xa") == class_archive.key(java, "-Xa")
    assert class_archive.key(java, "-Xa") != class_archive.key(java, "-Xb")


def test_the_key_does_not_follow_where_temporary_files_go(tmp_path: Path, monkeypatch) -> None:
    """Test runs, the warm-up and the creator each have their own temporary folder, where the
    driver's log4j2 file goes: one archive serves them all."""
    target = SparkTarget("local", "local[*]", tmp_path)
    first = session._class_archive(target)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert str(tmp_path) in session.driver_java_options(target), "the options moved"
    assert session._class_archive(target) == first, "the archive did not"


def test_the_cache_folder_setting() -> None:
    assert Settings.from_env({}).spark_class_cache == Path(sys.prefix) / "var" / "cache" / (
        "retail-spark")
    off = Settings.from_env({"RETAIL_SPARK_CLASS_CACHE": "off"})
    assert off.spark_class_cache is None
    assert Settings.from_env(off.to_env()) == off
    moved = Settings.from_env({"RETAIL_SPARK_CLASS_CACHE": "/tmp/x"})
    assert moved.spark_class_cache == Path("/tmp/x")
    assert Settings.from_env(moved.to_env()) == moved
