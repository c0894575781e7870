"""Reading YAML safely: ``safe_load`` semantics, plus a bounded size, depth and alias expansion,
and no duplicate keys. Any problem is one :class:`~dnncli.errors.DnnError` line naming the source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dnncli.errors import DnnError, short_text
from dnncli.files import decode_text

MAX_CONFIG_BYTES = 1 << 20  # a config is a few hundred bytes; a search space a few kilobytes
MAX_YAML_NODES = 100_000  # scalars, lists and mappings after every alias is expanded
MAX_YAML_DEPTH = 50  # levels of nesting


class _Loader(yaml.SafeLoader):
    """``safe_load`` that refuses duplicate keys, alias bombs and absurd nesting.

    An alias (``*a``) costs nothing to compose but every later walk of the value (validation,
    an error message, a deep copy) pays its expanded size, which a "billion laughs" makes
    exponential; the composed node graph is measured (each node once) before constructing.
    """

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node)
        return node

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue  # unhashable: the base class names it
                if first is not key_node:
                    raise DnnError(f"line {key_node.start_mark.line + 1}: duplicate key {short_text(repr(key))} "
                                   f"(first given on line {first.start_mark.line + 1})")
        return super().construct_mapping(node, deep=deep)


def _check_expansion(root) -> None:
    """Refuse a node graph whose expansion (aliases followed) exceeds the node or depth limits."""
    sizes: dict[int, int] = {}
    stack = [(root, 1, False)]
    while stack:  # iterative post-order: a deep document must not exhaust Python's stack
        node, depth, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else (
            node.value if isinstance(node, yaml.SequenceNode) else [])
        if depth > MAX_YAML_DEPTH:
            raise DnnError(f"line {node.start_mark.line + 1}: nested more than {MAX_YAML_DEPTH} levels deep")
        if children_done:
            total = 1 + sum(sizes.get(id(child), 0) for child in children)
            if total > MAX_YAML_NODES:
                raise DnnError(f"line {node.start_mark.line + 1}: this value expands to more than "
                               f"{MAX_YAML_NODES} values (aliases: *name) - refused")
            sizes[id(node)] = total
            continue
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in sizes)


def parse_yaml(text: str, source: str) -> Any:
    """YAML -> Python with :class:`_Loader`; a size or structure problem is a DnnError, bad syntax a YAMLError."""
    if "\x00" in text:
        raise DnnError(f"{source}: a binary file, not a YAML config")
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except DnnError as exc:
        raise DnnError(f"{source} {exc}") from None
    except RecursionError:
        raise DnnError(f"{source}: nested too deeply (more than {MAX_YAML_DEPTH} levels)") from None


def load_yaml_text(text: str, source: str = "<text>") -> Any:
    """Parse YAML safely (no tags run code); any problem is one :class:`DnnError` line naming ``source``."""
    try:
        return parse_yaml(text, source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "invalid YAML"
        raise DnnError(f"{source}{where}: {short_text(str(problem), 200)}") from None


def read_yaml(path: str | Path) -> Any:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise DnnError(f"{path}: {path.stat().st_size} bytes is too large for a config (at most {MAX_CONFIG_BYTES})")
        data = path.read_bytes()
    except FileNotFoundError:
        raise DnnError(f"config file not found: {path}") from None
    except OSError as exc:
        raise DnnError(f"cannot read config {path}: {exc.strerror}") from None
    return load_yaml_text(decode_text(data, str(path), "a YAML config"), str(path))
