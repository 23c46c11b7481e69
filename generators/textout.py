"""Columnar text output: whole chunks of CSV or JSONL lines built with Arrow compute kernels.

Rows are never formatted one by one in Python: each column becomes an Arrow string array,
the columns are joined element-wise, and the joined array's contiguous data buffer is written
to the file in one call. Single-threaded kernels only, so bytes never depend on scheduling.
Values never contain commas, quotes or newlines (the generator's vocabularies avoid them),
so CSV fields need no quoting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Column = pa.Array | np.ndarray | str


def text(values: np.ndarray | pa.Array, blank: np.ndarray | None = None,
         blank_text: str = "") -> pa.Array:
    """Arrow strings for a NumPy/Arrow column; entries where `blank` is true become
    `blank_text` (an empty CSV field by default). Never null, so lines join fast."""
    arr = values if isinstance(values, pa.Array) else pa.array(values)
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    if blank is not None and blank.any():
        arr = pc.if_else(pa.array(blank), blank_text, arr)
    return arr


def blanks(n: int) -> pa.Array:
    """`n` empty fields."""
    return pa.array(np.full(n, ""), pa.string()) if n else pa.array([], pa.string())


def _yyyymmdd(days: np.ndarray) -> np.ndarray:
    dates = days.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months).astype(np.int64) + 1
    return year * 10000 + month * 100 + day


def yyyymmdd(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 as YYYYMMDD integers (the sales date format). Each day of the
    range is converted once and looked up (calendar arithmetic per value is slow)."""
    days = np.asarray(days, np.int64)
    if not len(days):
        return np.zeros(0, np.int64)
    first = int(days.min())
    return _yyyymmdd(np.arange(first, int(days.max()) + 1))[days - first]


def iso_date(days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 as `YYYY-MM-DD` strings."""
    return pc.cast(pa.array(days.astype(np.int32), type=pa.date32()), pa.string())


def join(pieces: list[Column], separator: str = "") -> pa.Array:
    """Element-wise concatenation, `separator` between pieces, a newline at the end.

    Plain `str` pieces are literals. Pieces must not be null (a null makes the whole line
    null, which `to_lines` refuses): blank fields are empty strings (see `text`).
    """
    cols = [piece if isinstance(piece, str | pa.Array) else text(piece) for piece in pieces]
    last = cols.pop()
    # The separator as the kernel's own argument, not as literal pieces between the columns:
    # half the pieces per line, and the newline rides on the last column.
    last = last + "\n" if isinstance(last, str) else pc.binary_join_element_wise(last, "\n", "")
    return pc.binary_join_element_wise(*cols, last, separator)


@dataclass(frozen=True)
class Lines:
    """Rendered lines for one file: buffers to write one after the other, and the row count."""

    buffers: list
    rows: int

    @property
    def nbytes(self) -> int:
        return sum(len(b) for b in self.buffers)


def to_lines(lines: pa.Array, cut: np.ndarray | None = None, keep: int = 0) -> Lines:
    """The contiguous data buffer of newline-terminated strings, without copying.

    `cut` lists positions whose line is written truncated to `keep` characters (plus the
    newline): the buffer is then split around them instead of rebuilding every line.
    """
    if len(lines) == 0:
        return Lines([], 0)
    if lines.null_count:
        raise ValueError("a rendered line is null")
    wide = pa.types.is_large_string(lines.type)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[lines.offset:lines.offset + len(lines) + 1]
    data = lines.buffers()[2]
    buffers: list = []
    start = int(offsets[0])
    for pos in [] if cut is None else cut.tolist():
        buffers.append(data[start:int(offsets[pos])])
        line = data[int(offsets[pos]):int(offsets[pos + 1])].to_pybytes()
        buffers.append(line[:keep] + b"\n")
        start = int(offsets[pos + 1])
    buffers.append(data[start:int(offsets[-1])])
    return Lines([b for b in buffers if len(b)], len(lines))


def csv_lines(columns: list[Column]) -> Lines:
    return to_lines(join(columns, ","))
