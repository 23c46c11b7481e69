"""`retail generate` through the real CLI entry point: success, and bad arguments (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import generators.extract
from cli.main import main
from generators import generate_extract
from retail.errors import UsageError


def test_generate_writes_an_extract(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "x"
    assert main(["generate", "--out", str(out), "--scale", "0.01", "--seed", "3"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["scale"] == 0.01
    assert "truth" in capsys.readouterr().out


@pytest.mark.parametrize("scale", ["0", "-1", "nan", "inf", "1e9"])
def test_bad_scale_is_a_usage_error(tmp_path: Path, scale: str,
                                    capsys: pytest.CaptureFixture) -> None:
    assert main(["generate", "--out", str(tmp_path / "x"), "--scale", scale]) == 2
    assert "--scale" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_existing_folder_needs_force(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "x"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["generate", "--out", str(out), "--scale", "0.01"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "mine"
    assert main(["generate", "--out", str(out), "--scale", "0.01", "--force"]) == 2
    assert "refusing to replace" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "mine"
    (out / "manifest.json").write_text("{}")  # an (old) extract may be replaced
    assert main(["generate", "--out", str(out), "--scale", "0.01", "--force"]) == 0
    assert not (out / "keep.txt").exists() and json.loads((out / "manifest.json").read_text())


def test_never_replaces_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture) -> None:
    work = tmp_path / "work"
    (work / "source_crm").mkdir(parents=True)
    monkeypatch.chdir(work)
    assert main(["generate", "--out", ".", "--scale", "0.01", "--force"]) == 2
    assert "contains the current directory" in capsys.readouterr().err
    assert (work / "source_crm").is_dir()


def test_unwritable_target_is_a_usage_error(tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["generate", "--out", str(blocker / "x"), "--scale", "0.01"]) == 2
    assert "cannot create the folder" in capsys.readouterr().err
    assert main(["generate", "--out", str(blocker), "--scale", "0.01"]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_followon_arguments(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["generate", "--out", str(tmp_path / "y"), "--days", "3"]) == 2
    assert main(["generate", "--out", str(tmp_path / "y"), "--after", str(tmp_path)]) == 2
    assert main(["generate", "--out", str(tmp_path / "y"), "--after", str(tmp_path),
                 "--days", "3"]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    assert main(["generate", "--out", str(tmp_path / "y"), "--workers", "0"]) == 2
    for days in ("0", "-3", "100000"):
        assert main(["generate", "--out", str(tmp_path / "y"), "--after", str(tmp_path),
                     "--days", days]) == 2
        assert "--days must be a whole number" in capsys.readouterr().err


def test_followon_through_the_cli(small_extract: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "next"
    args = ["generate", "--after", str(small_extract), "--days", "5", "--out", str(out)]
    assert main([*args, "--scale", "2"]) == 2
    assert "come from the manifest" in capsys.readouterr().err
    assert main(args) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["batch"] == 1 and manifest["scale"] == 0.05
    assert main(["generate", "--after", str(small_extract), "--days", "5",
                 "--out", str(small_extract)]) == 2


def test_a_failed_run_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(generators.extract, "prd_info_columns", fail)
    with pytest.raises(OSError, match="disk full"):
        generate_extract(tmp_path / "x", scale=0.01)
    assert list(tmp_path.iterdir()) == []


def test_api_rejects_bad_seed(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--seed"):
        generate_extract(tmp_path / "x", scale=0.01, seed=-5)


def test_a_failing_worker_stops_the_run_and_leaves_nothing(tmp_path: Path) -> None:
    """A plan whose chunks fail (a catalog with no products to sell) in worker processes:
    the error reaches the caller, the workers stop, and no folder is left behind."""
    from dataclasses import replace

    from generators.api import _generate
    from generators.config import GeneratorConfig
    from generators.plan import first_plan

    plan = first_plan(1, 0.05, GeneratorConfig())
    broken = replace(plan, catalog=replace(plan.catalog, popularity=plan.catalog.popularity[:0]))
    with pytest.raises(IndexError):
        _generate(broken, tmp_path / "x", False, False, None, 2)
    assert list(tmp_path.iterdir()) == []


def test_followon_needs_a_manifest_of_this_generator(small_extract: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    fake = tmp_path / "fake"
    fake.mkdir()
    manifest = json.loads((small_extract / "manifest.json").read_text())
    (fake / "manifest.json").write_text(json.dumps({**manifest, "generator_version": "0.0.1"}))
    args = ["generate", "--after", str(fake), "--days", "3", "--out", str(tmp_path / "n")]
    assert main(args) == 2
    assert "written by generator 0.0.1" in capsys.readouterr().err
    (fake / "manifest.json").write_text("{not json")
    assert main(args) == 2
    assert "not a usable generator manifest" in capsys.readouterr().err
    assert not (tmp_path / "n").exists()


def test_progress_bar_can_be_forced_on(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    generate_extract(tmp_path / "x", scale=0.01, progress=True)
    captured = capsys.readouterr()
    assert "Generating batch 0" in captured.out + captured.err


def test_a_failed_forced_run_keeps_the_old_extract(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "x"
    generate_extract(out, scale=0.01, seed=1)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(generators.extract, "prd_info_columns", fail)
    with pytest.raises(OSError, match="disk full"):
        generate_extract(out, scale=0.01, seed=2, force=True)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["x"]
