"""Fixed-width text as NumPy byte matrices: one row per value, one column per character.

Fields whose width never varies (UUIDs, zero-padded numbers, ISO timestamps, and the literal
JSON between them) are cheapest as columns of a byte matrix: each is written with one strided
copy, and the whole matrix becomes one Arrow string array without per-row work. Joining a
single wide piece instead of many narrow ones is what makes event lines cheap (`render_web`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

Piece = str | np.ndarray  # a literal, or an (n, width) uint8 matrix


_DIGITS4 = np.array([list(f"{i:04d}".encode()) for i in range(10_000)], np.uint8)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded decimal text, an (n, width) byte matrix
    (four digits at a time from a lookup table: one division per four digits)."""
    values = np.asarray(values, np.int64)
    if len(values) and (values.min() < 0 or values.max() >= 10 ** width):
        raise ValueError(f"a value does not fit in {width} digits")
    groups = []
    for end in range(width, 0, -4):
        values, low = np.divmod(values, 10_000)
        take = min(4, end)
        table = np.ascontiguousarray(_DIGITS4[:, 4 - take:]).view(f"V{take}")[:, 0]
        groups.insert(0, table[low][:, None].view(np.uint8))
    return concat(len(groups[0]), groups) if len(groups) > 1 else groups[0]


def range_digits(values: np.ndarray, width: int) -> np.ndarray:
    """`digits` for values from a narrow range (such as session numbers of one chunk):
    each distinct value is formatted once, rows are gathered."""
    if not len(values):
        return np.empty((0, width), np.uint8)
    low = int(values.min())
    table = digits(np.arange(low, int(values.max()) + 1), width)
    return gather(table, values - low)


def gather(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows of a byte matrix, each copied as one item (fancy indexing copies byte by byte)."""
    width = table.shape[1]
    rows = np.ascontiguousarray(table).view(f"V{width}")[:, 0]
    return rows[index][:, None].view(np.uint8)


def _dates(first: int, last: int) -> np.ndarray:
    """`YYYY-MM-DD` of every day from `first` to `last` (days since 1970-01-01)."""
    dates = np.arange(first, last + 1).astype("datetime64[D]")
    return np.frombuffer(np.datetime_as_string(dates).astype("S10").tobytes(),
                         np.uint8).reshape(-1, 10)


_CLOCK: np.ndarray | None = None  # built on first use: `HH:MM:SS` of every second of a day


def _clock() -> np.ndarray:
    global _CLOCK
    if _CLOCK is None:
        second = np.arange(86_400)
        _CLOCK = concat(86_400, [digits(second // 3600, 2), ":", digits(second // 60 % 60, 2),
                                 ":", digits(second % 60, 2)])
    return _CLOCK


def iso_timestamps(seconds: np.ndarray) -> np.ndarray:
    """Seconds since 1970-01-01 UTC as `YYYY-MM-DDTHH:MM:SS+00:00`, an (n, 25) byte matrix
    (dates and clock times gathered from lookup tables, no per-value arithmetic on text)."""
    days, clock = np.divmod(np.asarray(seconds, np.int64), 86_400)
    if not len(days):
        return np.empty((0, 25), np.uint8)
    first = int(days.min())
    return concat(len(days), [gather(_dates(first, int(days.max())), days - first), "T",
                              gather(_clock(), clock), "+00:00"])


_HEX2 = np.array([list(f"{i:02x}".encode()) for i in range(256)], np.uint8).view(np.uint16)[:, 0]
_UUID_GROUPS = np.dtype([(f"g{i}", f"V{w}") for i, w in enumerate((8, 4, 4, 4, 12))])
_UUID_TEXT = np.dtype({"names": _UUID_GROUPS.names, "formats": [_UUID_GROUPS[i] for i in range(5)],
                       "offsets": [0, 9, 14, 19, 24], "itemsize": 36})


def uuid4(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random version-4 UUIDs as an (n, 36) byte matrix (no per-row formatting): each random
    byte becomes its two hex digits with one 16-bit lookup, and each group of digits is
    copied between the dashes as one item."""
    raw = np.frombuffer(rng.bytes(16 * n), np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    groups = _HEX2[raw].view(_UUID_GROUPS)[:, 0]
    out = np.full((n, 36), ord("-"), np.uint8)
    placed = out.view(_UUID_TEXT)[:, 0]
    for name in _UUID_GROUPS.names:
        placed[name] = groups[name]
    return out


def concat(n: int, pieces: list[Piece]) -> np.ndarray:
    """The pieces side by side: literals repeat on every row, matrices fill their columns.

    Each piece is one field of a structured array, so a row's piece is copied as one item
    (a strided copy of a few bytes per row is several times slower)."""
    raw = [np.frombuffer(p.encode(), np.uint8)[None, :] if isinstance(p, str) else p
           for p in pieces]
    dtype = np.dtype([(f"f{i}", f"V{r.shape[1]}") for i, r in enumerate(raw)])
    out = np.empty(n, dtype)
    for i, r in enumerate(raw):
        out[f"f{i}"] = np.ascontiguousarray(r).view(f"V{r.shape[1]}")[:, 0]
    return out.view(np.uint8).reshape(n, dtype.itemsize)


def decimal_widths(values: np.ndarray) -> np.ndarray:
    """Digits of each non-negative integer written without padding (0 has one)."""
    return 1 + np.searchsorted(10 ** np.arange(1, 19), values, side="right")


def numbers_at(n: int, at: np.ndarray, prefix: str, values: np.ndarray, suffix: str) -> pa.Array:
    """`n` Arrow strings: `prefix + str(values[i]) + suffix` at row `at[i]`, empty elsewhere.

    For a few rows of many (order numbers on purchase events), this replaces a cast, a join
    and a masked replace of a whole column: each row is written right-aligned into a byte
    matrix (one pass per distinct digit count), and one boolean selection drops the padding.
    """
    widths = decimal_widths(values) + len(prefix) + len(suffix)
    full = int(widths.max()) if len(values) else 0
    matrix = np.zeros((len(values), full), np.uint8)
    for width in np.unique(widths).tolist():
        rows = widths == width
        matrix[rows, full - width:] = concat(int(rows.sum()), [
            prefix, digits(values[rows], width - len(prefix) - len(suffix)), suffix])
    data = matrix[np.arange(full) >= (full - widths)[:, None]]
    lengths = np.zeros(n, np.int64)
    lengths[at] = widths
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def strings(matrix: np.ndarray) -> pa.Array:
    """One Arrow string per row of a byte matrix (the matrix's bytes become the data buffer)."""
    n, width = matrix.shape
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * width).tobytes())
    return pa.StringArray.from_buffers(n, offsets, pa.py_buffer(np.ascontiguousarray(matrix)))
