"""CSV tables of examples: a header row naming the columns, then one row per example.

Read with the standard library's ``csv`` module: comma-separated, UTF-8 (a byte-order mark is
skipped), quoted fields allowed, empty lines skipped. Every problem is one
:class:`~dnncli.errors.DataError` line naming the file and, where there is one, the line and
the column: an empty file, a first row of numbers instead of names, an empty or repeated column
name, a row with more or fewer fields than the header, a feature that is not a finite number,
an empty label. ``data: {name: csv}`` (in :mod:`dnncli.data`) and ``dnn predict`` read through here.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass

import numpy as np

from dnncli import budget
from dnncli.errors import ConfigError, DataError, choice_hint, short_repr, short_text
from dnncli.files import decode_text

# Bytes of memory per byte of file while reading: each cell is a str in a list of lists (some
# 60 bytes for a cell of a few characters, 2 bytes of file at the least: "1,") and then a float.
BYTES_PER_FILE_BYTE = 32


@dataclass(frozen=True, eq=False)
class Table:
    """The cells of a CSV file as text: ``rows[i]`` came from line ``lines[i]`` of ``path``."""

    path: str
    columns: tuple[str, ...]
    rows: list[list[str]]
    lines: list[int]

    def label_column(self, label: str | None, key: str) -> str:
        """The label column's name: ``label``, or the last column; a name not in the header is refused."""
        if label is None:
            return self.columns[-1]
        if label not in self.columns:
            raise ConfigError(key, label, f"a column of {self.path}: {choice_hint(label, self.columns)}")
        return label

    def require_columns(self, columns, what: str) -> None:
        """This table must have exactly ``columns`` (in any order)."""
        missing = [c for c in columns if c not in self.columns]
        extra = [c for c in self.columns if c not in columns]
        if missing or extra:
            has = f"no column {missing[0]!r}" if missing else f"a column {extra[0]!r}"
            raise DataError(f"{self.path}: {has}; it must have {what}: {short_text(', '.join(columns), 200)}")

    def numbers(self, names) -> np.ndarray:
        """The named columns as float64, shape (examples, len(names)); a cell that is not a
        finite number is refused with its line and column."""
        out = np.empty((len(self.rows), len(names)))
        for j, name in enumerate(names):
            c = self.columns.index(name)
            try:
                out[:, j] = np.fromiter((float(row[c]) for row in self.rows), dtype=np.float64, count=len(self.rows))
            except ValueError:
                i = next(i for i, row in enumerate(self.rows) if not _is_number(row[c]))
                raise self._bad_cell(i, name, "is not a number (feature columns must be numeric)") from None
            bad = ~np.isfinite(out[:, j])
            if bad.any():
                raise self._bad_cell(int(np.argmax(bad)), name, "is not a finite number")
        return out

    def labels(self, name: str) -> list[str]:
        """The named column's cells, stripped of surrounding spaces; an empty one, or one that
        reads as NaN or infinity (a missing value?), is refused."""
        c = self.columns.index(name)
        values = [row[c].strip() for row in self.rows]
        for i, value in enumerate(values):
            if not value:
                raise self._bad_cell(i, name, "is an empty label (every example needs its class)")
            if _is_number(value) and not math.isfinite(float(value)):
                raise self._bad_cell(i, name, "is not a label (a class name or a finite number)")
        return values

    def _bad_cell(self, i: int, column: str, why: str) -> DataError:
        return DataError(f"{self.path} line {self.lines[i]}, column {short_text(column, 40)!r}: "
                         f"{short_repr(self.rows[i][self.columns.index(column)])} {why}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_table(path: str, key: str) -> Table:
    """Read ``path`` (named ``key`` in messages, e.g. ``data.train``) into a :class:`Table`."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: no such file ({key})")
    budget.check_bytes(BYTES_PER_FILE_BYTE * os.path.getsize(path), f"reading {path}", key)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc}) ({key})") from None
    text = decode_text(data, str(path), "a CSV table", DataError, f" ({key})", encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header, header_line, rows, lines = None, 0, [], []
    try:
        for row in reader:
            if not row:  # an empty line
                continue
            if header is None:
                header, header_line = [c.strip() for c in row], reader.line_num
                _check_header(path, header, header_line)
                continue
            if len(row) != len(header):
                raise DataError(f"{path} line {reader.line_num}: {len(row)} field{'' if len(row) == 1 else 's'}, "
                                f"but the header (line {header_line}) names {len(header)} columns: "
                                f"{short_text(', '.join(header), 120)}")
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"{path} line {reader.line_num}: {short_text(str(exc), 120)}") from None
    if header is None:
        raise DataError(f"{path}: empty file; a CSV table needs a header row naming the columns, "
                        f"then one row per example ({key})")
    if not rows:
        raise DataError(f"{path}: no examples, only the header row ({short_text(', '.join(header), 120)})")
    return Table(path, tuple(header), rows, lines)


def _check_header(path: str, header: list[str], line: int) -> None:
    if all(_is_number(c) for c in header):
        raise DataError(f"{path} line {line}: the first row must name the columns (a header row), "
                        f"but it holds numbers: {short_text(', '.join(header), 60)}")
    seen = set()
    for j, name in enumerate(header):
        if not name:
            raise DataError(f"{path} line {line}: column {j + 1} has no name (the header row names every column)")
        if name in seen:
            raise DataError(f"{path} line {line}: the column name {short_text(name, 40)!r} is given twice")
        seen.add(name)


def number_name(value: float) -> str:
    """A numeric label's class name: ``1`` for 1.0, ``0.5`` for 0.5 (the shortest exact form)."""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def classes_of(columns: list[list[str]]) -> tuple[list[str], list[np.ndarray]]:
    """``(class names, the class index of every label per column)`` of label columns read as text.

    When every label is a number, the classes are the distinct values sorted by value and
    named by :func:`number_name` (``1`` and ``1.0`` are one class); otherwise the distinct
    strings, sorted.
    """
    values = [v for column in columns for v in column]
    if all(_is_number(v) for v in values):
        numbers = np.array([float(v) for v in values])  # finite: Table.labels refuses NaN and inf
        distinct = np.unique(numbers)
        names, flat = [number_name(float(v)) for v in distinct], np.searchsorted(distinct, numbers)
    else:
        names = sorted(set(values))
        index = {name: i for i, name in enumerate(names)}
        flat = np.array([index[v] for v in values], dtype=np.int64)
    bounds = np.cumsum([len(column) for column in columns])[:-1]
    return names, [part.astype(np.int64) for part in np.split(flat, bounds)]


def label_indices(table: Table, column: str, classes) -> np.ndarray:
    """The class index of every label of ``column``, for a model with ``classes``: a label is its
    class's name, or (for numeric class names) a number of the same value (``1.0`` for ``1``)."""
    index = {name: i for i, name in enumerate(classes)}
    labels = table.labels(column)
    out = np.empty(len(labels), dtype=np.int64)
    for i, label in enumerate(labels):
        k = index.get(label)
        if k is None and _is_number(label) and math.isfinite(float(label)):
            k = index.get(number_name(float(label)))
        if k is None:
            raise table._bad_cell(i, column, f"is not a class of the model ({short_text(', '.join(classes), 120)})")
        out[i] = k
    return out
