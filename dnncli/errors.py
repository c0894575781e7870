"""Error types shared by every layer (the engine may import this module: it is stdlib only).

An expected user mistake raises a subclass of :class:`DnnError`; the CLI prints its
message as one line on stderr and exits with ``exit_code`` (2), never with a traceback.
"""

from __future__ import annotations

import difflib
import errno
import reprlib
from collections.abc import Iterable

MAX_REPR = 80  # characters of a bad value shown in an error message


class DnnError(Exception):
    """Base class of the errors a user can cause (bad config, missing file, ...)."""

    exit_code = 2


class ConfigError(DnnError):
    """A config value is wrong: names the dotted key, the value and what is allowed."""

    def __init__(self, key: str, value: object, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        one_line = short_text(str(key))  # a key may hold a newline, or be a bomb
        super().__init__(f"{one_line}: {short_repr(value)} is not allowed ({allowed})".replace("\n", "\\n"))


class DataError(DnnError):
    """A data set cannot be loaded (missing file, missing key, mismatched shapes)."""


class BudgetError(DnnError):
    """A run would need more memory than the budget (see :mod:`dnncli.budget`)."""


class _BoundedRepr(reprlib.Repr):
    """reprlib with small limits: a nested, aliased or huge value costs O(limits) to show."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxdict, self.maxlist, self.maxtuple, self.maxset = 3, 4, 6, 6, 6
        self.maxstring, self.maxother, self.maxlong = 40, 40, 40

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:  # str() of a 10**5-digit int is slow (and limited by Python)
            return f"<an integer of about {int(x.bit_length() * 0.30103) + 1} digits>"
        return super().repr_int(x, level)


_REPR = _BoundedRepr()


def short_repr(value: object, limit: int = MAX_REPR) -> str:
    """A one-line representation of ``value`` of at most ``limit`` characters, cheap for any size.

    Lists, dicts and strings are cut (``...``) before they are formatted, so a YAML alias
    bomb or a 10**6-element list is never expanded; the result is then cut to ``limit``.
    """
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return short_text(text, limit)


def short_text(text: str, limit: int = MAX_REPR) -> str:
    """``text`` on one line (control characters escaped) and at most ``limit`` characters."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit * 2])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def os_error(exc: OSError, doing: str) -> DnnError:
    """One line for a failed file operation: ``cannot create runs/x: No space left on device``."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENAMETOOLONG:
        reason = "file name too long for this filesystem"
    name = exc.filename if exc.filename is not None else ""
    return DnnError(f"cannot {doing}{' ' + short_text(str(name), 200) if name else ''}: {reason}")


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``name`` (for "did you mean"), or None if nothing is close."""
    matches = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.5)
    return matches[0] if matches else None


def choice_hint(name: str, choices: Iterable[str]) -> str:
    """'one of a, b, c' plus "did you mean 'x'?" when a choice is close to ``name``."""
    choices = list(choices)
    hint = "one of " + ", ".join(choices)
    guess = closest(name, choices)
    return f"did you mean {guess!r}? {hint}" if guess else hint
