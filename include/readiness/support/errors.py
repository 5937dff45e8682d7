"""Problems found in user-written files, reported with the file, the path inside it and
what was expected, so that a bad file is fixed in one reading instead of by trial."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file. ``path`` is a dotted/indexed location such as
    ``sections[2].items[3].expectations[0]``; empty for the file as a whole."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """Raised when a file cannot be used at all; carries every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def join_path(*parts: str | int) -> str:
    """Build ``a.b[3].c`` from ``("a", "b", 3, "c")``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = part
    return out
