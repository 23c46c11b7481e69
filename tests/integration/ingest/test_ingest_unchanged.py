"""A batch ingested again from unchanged files is not loaded again; any change, or --force, is.

"Unchanged" means the same bytes in the same files (retail/ingest/fingerprint.py): new file
times, another folder with the same batch name, or a copy do not make a batch new, while one
byte does, and so does a file added or removed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest
from ingest_fixtures import GOOD_EXTRACT, snapshot, write_extract

from retail.errors import BadInputError
from retail.ingest import fingerprint, ingest_extract


def _register(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select batch_id, ingested_at, files_digest from bronze._batches"
                           ).fetchall()
    return {batch: (at, digest) for batch, at, digest in rows}


def test_an_unchanged_batch_is_not_loaded_again(extract_dir: Path, warehouse: Path) -> None:
    first = ingest_extract(extract_dir, warehouse)
    before = snapshot(warehouse)
    for path in extract_dir.rglob("*"):  # touched, copied again: same contents
        os.utime(path, (1, 1))
    moved = shutil.copytree(extract_dir, warehouse.parent / "elsewhere" / extract_dir.name)

    again = ingest_extract(moved, warehouse)

    assert again.unchanged and not first.unchanged
    assert snapshot(warehouse) == before  # rows, load times and the register, exactly
    assert (again.batch_id, again.batch_seq, again.source) == (
        first.batch_id, first.batch_seq, first.source)
    assert again.rows == first.rows  # what the batch holds, as its last load counted it
    assert "unchanged since its ingest" in (again.note or "")
    assert again.warnings == ()


def test_one_changed_byte_loads_the_batch_again(extract_dir: Path, warehouse: Path) -> None:
    ingest_extract(extract_dir, warehouse)
    before = _register(warehouse)["batch-a"]
    cust = extract_dir / "source_crm" / "cust_info.csv"
    text = cust.read_text()
    assert "Jon" in text
    cust.write_text(text.replace("Jon", "Jan", 1))  # same size

    again = ingest_extract(extract_dir, warehouse)

    after = _register(warehouse)["batch-a"]
    assert not again.unchanged
    assert after[0] > before[0] and after[1] != before[1]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = {name for (name,) in con.execute(
            "select cst_firstname from bronze.crm_cust_info").fetchall()}
    assert " Jan " in names and " Jon " not in names  # bronze keeps the text as written


def test_an_optional_file_added_loads_the_batch_again(tmp_path: Path, warehouse: Path) -> None:
    without = {name: text for name, text in GOOD_EXTRACT.items() if "RET_ORD" not in name}
    folder = write_extract(tmp_path / "batch-a", without)
    ingest_extract(folder, warehouse)
    write_extract(folder, {"source_erp/RET_ORD_Q1.csv": GOOD_EXTRACT["source_erp/RET_ORD_Q1.csv"]})

    again = ingest_extract(folder, warehouse)

    assert not again.unchanged and again.rows["erp_ret_ord_q1"] > 0


def test_force_loads_an_unchanged_batch_again(extract_dir: Path, warehouse: Path) -> None:
    ingest_extract(extract_dir, warehouse)
    before = _register(warehouse)["batch-a"]

    again = ingest_extract(extract_dir, warehouse, force=True)

    after = _register(warehouse)["batch-a"]
    assert not again.unchanged
    assert after[0] > before[0] and after[1] == before[1]  # a new load of the same files


def test_another_batch_id_with_the_same_files_is_a_new_batch(
    extract_dir: Path, warehouse: Path
) -> None:
    ingest_extract(extract_dir, warehouse)
    other = ingest_extract(extract_dir, warehouse, batch_id="manual-1")
    assert not other.unchanged and other.batch_seq == 2


def test_a_batch_loaded_before_digests_were_kept_is_loaded_once_more(
    extract_dir: Path, warehouse: Path
) -> None:
    ingest_extract(extract_dir, warehouse)
    with duckdb.connect(str(warehouse)) as con:  # as an earlier version left its register
        con.execute("update bronze._batches set files_digest = null")

    assert not ingest_extract(extract_dir, warehouse).unchanged  # loaded, digest recorded
    assert _register(warehouse)["batch-a"][1] is not None
    assert ingest_extract(extract_dir, warehouse).unchanged


def test_a_new_loader_version_loads_unchanged_files_again(
    extract_dir: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_extract(extract_dir, warehouse)
    monkeypatch.setattr(fingerprint, "LOADER_VERSION", fingerprint.LOADER_VERSION + 1)
    assert not ingest_extract(extract_dir, warehouse).unchanged


def test_a_refused_batch_is_refused_before_any_digest_counts(
    extract_dir: Path, warehouse: Path
) -> None:
    """Bad input in an unchanged-looking batch still fails: the files are checked first."""
    ingest_extract(extract_dir, warehouse)
    (extract_dir / "source_crm" / "cust_info.csv").write_text("not,a,header\n")
    before = snapshot(warehouse)
    with pytest.raises(BadInputError):
        ingest_extract(extract_dir, warehouse)
    assert snapshot(warehouse) == before


def test_files_digest_covers_names_and_contents(extract_dir: Path, tmp_path: Path) -> None:
    from retail.ingest.validate import plan_extract

    digest = fingerprint.files_digest(plan_extract(extract_dir))
    copy = shutil.copytree(extract_dir, tmp_path / "copy" / "batch-a")
    assert fingerprint.files_digest(plan_extract(copy)) == digest
    events = copy / "source_web" / "events.jsonl"
    events.write_bytes(events.read_bytes() + b"\n")
    assert fingerprint.files_digest(plan_extract(copy)) != digest
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64
