"""Columnar text output: whole chunks of CSV or JSONL lines built with Arrow compute kernels.

Rows are never formatted one by one in Python: each column becomes an Arrow string array,
the columns are joined element-wise, and the joined array's contiguous data buffer is written
to the file in one call. Single-threaded kernels only, so bytes never depend on scheduling.
Values never contain commas, quotes or newlines (the generator's vocabularies avoid them),
so CSV fields need no quoting.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Column = pa.Array | np.ndarray | str


def text(values: np.ndarray | pa.Array, null: np.ndarray | None = None) -> pa.Array:
    """Arrow strings for a NumPy/Arrow column; entries where `null` is true become null."""
    arr = values if isinstance(values, pa.Array) else pa.array(values)
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    if null is not None and null.any():
        arr = pc.if_else(pa.array(null), pa.scalar(None, pa.string()), arr)
    return arr


def yyyymmdd(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 as YYYYMMDD integers (the sales date format)."""
    dates = days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months).astype(np.int64) + 1
    return year * 10000 + month * 100 + day


def iso_date(days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 as `YYYY-MM-DD` strings."""
    return pc.cast(pa.array(days.astype(np.int32), type=pa.date32()), pa.string())


def join(pieces: list[Column], separator: str = "") -> pa.Array:
    """Element-wise concatenation, `separator` between pieces, a newline at the end.

    Plain `str` pieces are literals; null entries become empty text.
    """
    cols: list[pa.Array | str] = []
    for i, piece in enumerate(pieces):
        if i and separator:
            cols.append(separator)
        cols.append(piece if isinstance(piece, str | pa.Array) else text(piece))
    return pc.binary_join_element_wise(
        *cols, "\n", "", null_handling="replace", null_replacement=""
    )


class LineFile:
    """An output file that receives whole chunks of lines and counts rows and bytes."""

    def __init__(self, path: Path, header: str | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh: BinaryIO = path.open("wb")
        self.rows = 0
        self.bytes = 0
        if header is not None:
            self._write(f"{header}\n".encode())

    def _write(self, data: bytes | pa.Buffer) -> None:
        self._fh.write(data)
        self.bytes += len(data)

    def write_lines(self, lines: pa.Array) -> None:
        """Write an array of newline-terminated strings as one contiguous buffer."""
        if len(lines) == 0:
            return
        lines = lines.cast(pa.large_string()) if lines.type == pa.string() else lines
        if lines.null_count:
            raise ValueError(f"{self.path.name}: a line is null")
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
        start, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
        self._write(lines.buffers()[2][start:end])
        self.rows += len(lines)

    def write_csv(self, columns: list[Column]) -> None:
        self.write_lines(join(columns, ","))

    def close(self) -> None:
        self._fh.close()
