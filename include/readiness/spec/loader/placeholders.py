"""``${name}`` placeholders: checklist params filled in per service at run time."""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")
#: Placeholders resolved per service at collection time.
RUNTIME_NAMES = {"service", "item", "repo", "store"}


def substitute(value: Any, names: dict[str, Any]) -> Any:
    """Replace ``${name}`` placeholders known in ``names``; leave the others for later.
    A string that is exactly one placeholder takes the value as is (lists stay lists)."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in names:
            return names[whole.group(1)]

        def repl(match: re.Match[str]) -> str:
            key = match.group(1)
            return str(names[key]) if key in names else match.group(0)

        return PLACEHOLDER.sub(repl, value)
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, names) for k, v in value.items()}
    return value


def placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, list):
        return set().union(*(placeholders(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(placeholders(v) for v in value.values())) if value else set()
    return set()


def is_runtime_name(name: str) -> bool:
    return name in RUNTIME_NAMES or name.startswith("locations.")
