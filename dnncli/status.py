"""The status of a run, of a model in a stack, and of a compare or tune: one type everywhere."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """``running -> completed | diverged | interrupted | failed`` (a str: JSON and == "completed" work)."""

    RUNNING = "running"
    COMPLETED = "completed"
    DIVERGED = "diverged"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
