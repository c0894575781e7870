"""Faults the tests inject: a disk that fills up when one file is written."""

import errno
from pathlib import Path


def fill_disk_at(monkeypatch, file_name: str) -> None:
    """Writing ``file_name`` (through the atomic writer's temporary name) fails with ENOSPC; other files work."""
    real = Path.write_text

    def full(self, text, *args, **kwargs):
        if f".{file_name}." in self.name:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
