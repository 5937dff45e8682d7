"""YAML files read with a path→line index, so every problem names the file, the path
inside it and the line."""

from __future__ import annotations

import hashlib
import re
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


class Source:
    """One YAML file: its text, hash, data and a path→line index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        raw = path.read_bytes()
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
    except UnicodeDecodeError:
        return None, None, [Problem(str(path), "", "expected UTF-8 text")]
    try:
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


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
