"""YAML loading that remembers where every value came from, for errors that name the line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from gateway.model import ConfigError

Loc = tuple[str | int, ...]
KEY = "<key>"  # path suffix under which a mapping key's own position is kept
M = TypeVar("M", bound=BaseModel)

# Bounds that no real configuration or policy comes near, so a hostile or broken file (a
# "billion laughs" of nested aliases, a file of brackets) fails in milliseconds instead of
# holding `config check` or a SIGHUP reload for minutes and gigabytes.
MAX_FILE_BYTES = 1024 * 1024
MAX_ALIASES = 100
MAX_NODES = 100_000
MAX_DEPTH = 64


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader whose composer counts alias uses and nesting depth as it goes."""

    def __init__(self, stream: str, source: str) -> None:
        super().__init__(stream)
        self.source = source
        self.aliases = 0
        self.depth = 0

    def _where(self, mark: Any) -> str:
        return f"{self.source}:{mark.line + 1}:{mark.column + 1}" if mark else self.source

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise ConfigError(
                    f"{self._where(event.start_mark)}: more than {MAX_ALIASES} alias uses (*name)"
                )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ConfigError(
                    f"{self._where(event.start_mark)}: nested deeper than {MAX_DEPTH} levels"
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Located:
    """The parsed data plus the (line, column) of every node, keyed by its path."""

    def __init__(self) -> None:
        self.marks: dict[Loc, tuple[int, int]] = {}
        self.nodes = 0


def _construct(
    node: yaml.Node, path: Loc, located: _Located, source: str, loader: yaml.SafeLoader
) -> Any:
    # Aliases share nodes, so the tree built here can be exponentially larger than the text.
    located.nodes += 1
    if located.nodes > MAX_NODES:
        raise ConfigError(
            f"{source}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: "
            f"expands to more than {MAX_NODES} values (aliases used too often?)"
        )
    located.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ConfigError(
                    f"{source}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: "
                    "merge keys (<<) are not supported"
                )
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int | bool | float) and key is not None:
                raise ConfigError(
                    f"{source}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: "
                    "keys must be plain scalars"
                )
            if key in out:
                raise ConfigError(
                    f"{source}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: "
                    f"duplicate key {key!r}"
                )
            child = (*path, key) if isinstance(key, str | int) else (*path, str(key))
            located.marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            located.marks[(*child, KEY)] = located.marks[child]
            out[key] = _construct(value_node, child, located, source, loader)
            # the value's own position wins for scalars, the key's for containers
            if isinstance(value_node, yaml.ScalarNode):
                located.marks[child] = (
                    value_node.start_mark.line + 1,
                    value_node.start_mark.column + 1,
                )
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*path, i), located, source, loader)
            for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node)


def load_yaml(text: str, source: str) -> tuple[Any, dict[Loc, tuple[int, int]]]:
    """Parse YAML text and return the data and a map from value paths to (line, column)."""
    if len(text) > MAX_FILE_BYTES:
        raise ConfigError(f"{source}: larger than {MAX_FILE_BYTES // 1024} KiB; refused")
    loader = _BoundedLoader(text, source)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConfigError(f"{where}: YAML syntax error: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: YAML error: {exc}") from None
    finally:
        loader.dispose()
    located = _Located()
    if node is None:
        return {}, located.marks
    data = _construct(node, (), located, source, yaml.SafeLoader(""))
    return data, located.marks


def _best_mark(loc: Loc, marks: Mapping[Loc, tuple[int, int]]) -> tuple[int, int] | None:
    path = tuple(loc)
    while True:
        if path in marks:
            return marks[path]
        if not path:
            return None
        path = path[:-1]


def validate(model: type[M], data: Any, marks: Mapping[Loc, tuple[int, int]], source: str) -> M:
    """Validate data into a model; the first lines of the error name file, line and column."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            mark = marks.get((*loc, KEY)) if err["type"] == "extra_forbidden" else None
            mark = mark or _best_mark(loc, marks)
            where = f"{source}:{mark[0]}:{mark[1]}" if mark else source
            dotted = ".".join(str(p) for p in loc) or "(top level)"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            lines.append(f"{where}: {dotted}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def load_file(model: type[M], path: Path, overrides: Mapping[str, Any] | None = None) -> M:
    """Read, parse and validate a YAML file into a frozen model, applying top-level overrides."""
    source = str(path)
    try:
        # Checked before reading, so a huge file (or /dev/zero) is never read into memory.
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"{source}: larger than {MAX_FILE_BYTES // 1024} KiB; refused")
        with path.open("rb") as f:
            text = f.read(MAX_FILE_BYTES + 1).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read: {exc}") from None
    data, marks = load_yaml(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1:1: the top level must be a mapping")
    merged = deep_merge(data, overrides or {})
    return validate(model, merged, marks, source)


def deep_merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Merge nested mappings; values in `changes` win."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
