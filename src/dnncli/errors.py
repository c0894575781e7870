"""Error types shared by every layer (the engine may import this module: it is stdlib only).

An expected user mistake raises a subclass of :class:`DnnError`; the CLI prints its
message as one line on stderr and exits with ``exit_code`` (2), never with a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DnnError(Exception):
    """Base class of the errors a user can cause (bad config, missing file, ...)."""

    exit_code = 2


class ConfigError(DnnError):
    """A config value is wrong: names the dotted key, the value and what is allowed."""

    def __init__(self, key: str, value: object, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        one_line = str(key).encode("unicode_escape").decode("ascii")  # a key may hold a newline
        super().__init__(f"{one_line}: {value!r} is not allowed ({allowed})".replace("\n", "\\n"))


class DataError(DnnError):
    """A data set cannot be loaded (missing file, missing key, mismatched shapes)."""


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
