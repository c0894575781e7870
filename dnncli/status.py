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
    # what `dnn runs` shows for a directory it cannot take at its word
    STALE = "stale"            # says running, but its process is gone
    UNREADABLE = "unreadable"  # metrics.json (or summary.json) missing, truncated or foreign
    INCOMPLETE = "incomplete"  # a compare killed before its summary, none of its runs running
    NO_RESULT = "no result"    # a tune whose trials all ended without a best one

    @classmethod
    def counted(cls) -> tuple[Status, ...]:
        """A tune trial that ended (an interrupted one is sampled again)."""
        return (cls.COMPLETED, cls.DIVERGED, cls.FAILED)
