"""The byte scan that decides whether record positions can differ from line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from retail.ingest import lines

pytestmark = pytest.mark.logic

CASES = {
    b"a,b\n1,2\n3,4\n": (False, False),
    b"a,b\n1,2\n3,4\n\n\n": (False, False),  # trailing blank lines do not shift numbers
    b"a,b\r\n1,2\r\n\r\n": (False, False),
    b"a,b\n1,2\n\n3,4\n": (False, True),
    b"a,b\r\n1,2\r\n\r\n3,4\r\n": (False, True),
    b'a,b\n1,"x"\n': (True, False),
    b'a,b\n\n"q",2\n': (True, True),
}


@pytest.mark.parametrize("chunk", [2, 3, 5, 1 << 20])
@pytest.mark.parametrize("content", CASES, ids=[repr(c) for c in CASES])
def test_scan_shape_across_chunk_boundaries(
    content: bytes, chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(lines, "CHUNK", chunk)
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    shape = lines.scan_shape(path)
    assert (shape.has_quote, shape.has_blank_line) == CASES[content]


def test_record_start_lines_count_multiline_values_and_blank_lines(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text('a,b\n1,"x\ny"\n\n2,3\r\n4,"\r\n"\n5,6', newline="")
    assert lines.record_start_lines(path) == [2, 5, 6, 8]
