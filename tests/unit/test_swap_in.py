"""The folder swap shared by the generator and the segmentation step (retail/fsutil.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generators.output import staged_folder
from retail.fsutil import swap_in


def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def _content(path: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(path.iterdir())}


def test_the_new_folder_replaces_the_old_and_nothing_is_left_beside_it(tmp_path: Path) -> None:
    target = _folder(tmp_path / "out", {"old.txt": "old"})
    new = _folder(tmp_path / ".out.new", {"new.txt": "new"})
    swap_in(new, target)
    assert _content(target) == {"new.txt": "new"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_missing_target_is_created(tmp_path: Path) -> None:
    new = _folder(tmp_path / ".out.new", {"a.txt": "a"})
    swap_in(new, tmp_path / "out")
    assert _content(tmp_path / "out") == {"a.txt": "a"}


def test_a_failure_mid_swap_puts_the_old_folder_back(tmp_path: Path) -> None:
    target = _folder(tmp_path / "out", {"old.txt": "old"})
    # the second rename fails for real: the new folder is not there (e.g. removed meanwhile)
    with pytest.raises(FileNotFoundError):
        swap_in(tmp_path / ".out.vanished", target)
    assert _content(target) == {"old.txt": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_the_generator_stage_keeps_the_old_extract_when_the_swap_fails(tmp_path: Path) -> None:
    target = _folder(tmp_path / "extract", {"manifest.json": "{}"})
    with pytest.raises(FileNotFoundError), staged_folder(target) as stage:
        (stage / "manifest.json").write_text('{"new": true}')
        stage.rename(tmp_path / "elsewhere")  # the stage is gone when the swap starts
    assert _content(target) == {"manifest.json": "{}"}


def test_the_generator_stage_replaces_the_old_extract_on_success(tmp_path: Path) -> None:
    target = _folder(tmp_path / "extract", {"manifest.json": "{}"})
    with staged_folder(target) as stage:
        (stage / "manifest.json").write_text('{"new": true}')
    assert _content(target) == {"manifest.json": '{"new": true}'}
    assert [p.name for p in tmp_path.iterdir()] == ["extract"]
