"""Crash-safe file writing: write to a temporary name in the same folder, then rename."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from dnncli.errors import DnnError


class WriteError(DnnError, OSError):
    """A file could not be written: exit 1, one line ("no space left on device while writing ...").

    Also an OSError, so code that expects the operating system's error still catches it.
    """

    exit_code = 1

    def __init__(self, path: Path, exc: OSError):
        why = (exc.strerror or str(exc) or type(exc).__name__).lower()
        super().__init__(f"{why} while writing {path}")

    def __reduce__(self):  # a worker process's error travels to the parent as its message
        return _write_error, (str(self),)


def _write_error(message: str) -> WriteError:
    error = WriteError.__new__(WriteError)
    DnnError.__init__(error, message)
    return error


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    A reader never sees a half-written file: either the old one or the new one.
    On error the temporary file is removed and ``path`` is left untouched.
    A write that fails (a full disk, a folder gone read-only) raises :class:`WriteError`, one
    line naming the file, whatever the writer was.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise WriteError(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj: object) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, allow_nan=False, default=_jsonable) + "\n")


def _jsonable(obj: object) -> object:
    try:  # numpy scalars and arrays, without importing numpy here
        return obj.tolist()  # type: ignore[attr-defined]
    except AttributeError:
        return str(obj)


def decode_text(data: bytes, where: str, kind: str, error: type[DnnError] = DnnError, suffix: str = "",
                encoding: str = "utf-8") -> str:
    """A text file's bytes as text; a binary (NUL bytes) or non-UTF-8 file is one ``error`` line
    naming ``where`` and what it should have been (``kind``: "a YAML config", "a CSV table")."""
    if b"\x00" in data:
        raise error(f"{where}: a binary file, not {kind}{suffix}")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text (byte {exc.start}); is it {kind}?{suffix}") from None
