"""Name -> implementation registries, one per family (optimizers, initializers, ...).

Adding an entry is one class or function plus one ``@REGISTRY.register("name")`` line;
config validation, ``--help`` text and "did you mean" errors read the registry.
Standard library only, so the engine may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from dnncli.errors import ConfigError, choice_hint

T = TypeVar("T")


class Registry(Generic[T]):
    """A named family of implementations (classes or functions)."""

    def __init__(self, family: str):
        self.family = family
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.family} {name!r} is registered twice")
            self._entries[name] = obj
            try:
                obj.registry_name = name  # type: ignore[attr-defined]
            except (AttributeError, TypeError):
                pass
            return obj

        return decorate

    def get(self, name: str, key: str | None = None) -> T:
        """The entry called ``name``; a ConfigError naming ``key`` otherwise."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise ConfigError(key or self.family, name, choice_hint(name, self._entries)) from None

    def names(self) -> list[str]:
        return list(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
