"""YAML files read with a path→line index, so every problem names the file, the path
inside it and the line."""

from __future__ import annotations

import hashlib
import re
import reprlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from readiness.support.errors import Problem, join_path


def _line_index(text: str) -> dict[str, int]:
    """Map every path in a YAML document to its 1-based line, for error messages."""
    index: dict[str, int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return index

    def walk(node: yaml.Node, path: str) -> None:
        index[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, join_path(path, str(key.value)) if path else str(key.value))
        elif isinstance(node, yaml.SequenceNode):
            for position, value in enumerate(node.value):
                walk(value, f"{path}[{position}]")

    if root is not None:
        walk(root, "")
    return index


#: A checklist or spec is a few kilobytes; one team's file must not exhaust the
#: dag-processor, which loads every spec. Bigger files, and YAML whose aliases expand past
#: this many nodes (an alias bomb of 600 bytes expands exponentially), are refused.
MAX_YAML_BYTES = 1_000_000
MAX_EXPANDED_NODES = 100_000


class TooLarge(ValueError):
    """A YAML file over a bound; the message names the bound."""


def _read_bounded(path: Path) -> bytes:
    if not path.is_file():
        raise TooLarge("expected a regular file")
    with path.open("rb") as handle:
        raw = handle.read(MAX_YAML_BYTES + 1)
    if len(raw) > MAX_YAML_BYTES:
        raise TooLarge(f"file is over {MAX_YAML_BYTES:,} bytes; expected a checklist or spec")
    return raw


def _expanded_nodes(text: str) -> int:
    """How many nodes the document holds with every alias expanded (each node counted once
    per place it appears), without building the expansion."""
    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(v) for v in node.value)
        sizes[id(node)] = total
        return total

    return size(root) if root is not None else 0


class Source:
    """One YAML file: its text, hash, data and a path→line index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        raw = _read_bounded(path)
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.text = raw.decode("utf-8")
        self._lines: dict[str, int] | None = None

    @property
    def lines(self) -> dict[str, int]:
        """Built only when a problem needs a line number (a second, slower parse)."""
        if self._lines is None:
            self._lines = _line_index(self.text)
        return self._lines

    def problem(self, path: str, message: str) -> Problem:
        line = self.lines.get(path)
        if line is None:
            # fall back to the nearest enclosing path we know a line for
            probe = path
            while probe and line is None:
                probe = re.sub(r"(\[\d+\]|\.[^.\[]+|^[^.\[]+)$", "", probe)
                line = self.lines.get(probe)
        suffix = f" (line {line})" if line else ""
        return Problem(self.name, path, message + suffix)


#: libyaml's safe loader when PyYAML was built with it (it is in the wheels): ~10x faster.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> tuple[Source | None, Any, list[Problem]]:
    try:
        source = Source(path)
    except OSError as exc:
        return None, None, [Problem(str(path), "", f"cannot read file: {exc.strerror or exc}")]
    except TooLarge as exc:
        return None, None, [Problem(str(path), "", str(exc))]
    except UnicodeDecodeError:
        return None, None, [Problem(str(path), "", "expected UTF-8 text")]
    try:
        if "&" in source.text and _expanded_nodes(source.text) > MAX_EXPANDED_NODES:
            return (
                source,
                None,
                [
                    Problem(
                        source.name,
                        "",
                        f"YAML aliases expand to over {MAX_EXPANDED_NODES:,} nodes; "
                        "expected plain YAML (anchors and aliases only for small repeats)",
                    )
                ],
            )
        data = yaml.load(source.text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        return source, None, [Problem(source.name, "", f"malformed YAML{where}: {what}")]
    if not isinstance(data, dict):
        return source, None, [Problem(source.name, "", "expected a YAML mapping at the top")]
    return source, data, []


def structure_problems(source: Source, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [part for part in err["loc"] if not (isinstance(part, str) and "[" in part)]
        path = join_path(*[p if isinstance(p, int) else str(p) for p in loc])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "required field is missing"
        elif err["type"] == "value_error":  # our own validators' words, without pydantic's
            message = str(err["msg"]).removeprefix("Value error, ")
        problems.append(
            source.problem(
                path,
                f"{message}; got {short(err.get('input'))}"
                if err["type"] not in ("missing",)
                else message,
            )
        )
    return problems


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxdict, _SHORT.maxlist, _SHORT.maxstring, _SHORT.maxother = 2, 4, 4, 50, 50


def short(value: Any) -> str:
    """A bounded repr for a message: never the whole of a large or aliased value."""
    text = _SHORT.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
