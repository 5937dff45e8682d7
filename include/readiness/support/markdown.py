"""Markdown for issue bodies. Evidence text is untrusted: it is escaped so it cannot
mention people, inject links or images, or break out of its block."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:])")


def escape(text: object) -> str:
    """Inline-safe text: every Markdown metacharacter backslash-escaped, line breaks
    flattened, and ``@`` / URL schemes defused so nothing renders as a mention or link."""
    value = " ".join(str(text).split())
    value = _SPECIAL.sub(r"\\\1", value)
    # a zero-width space after @ and inside :// defeats mentions and autolinks everywhere
    return value.replace("@", "@\u200b").replace("://", ":\u200b//")


def code_span(text: object) -> str:
    """Inline code, verbatim: nothing is escaped inside (a code span renders no Markdown,
    mention or link, and a backslash there would be copied with the text). The delimiter is
    one backtick longer than any run inside, so content cannot close it (CommonMark 6.1)."""
    value = " ".join(str(text).split())
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def code_block(text: object, limit: int = 2000) -> str:
    """A fenced block longer than any backtick run inside, so content cannot close it."""
    value = str(text)
    if len(value) > limit:
        value = value[:limit] + "\n… (truncated)"
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{value}\n{fence}"


def link(label: str, url: str | None) -> str:
    """A link only for URLs we produced or configured (runbooks), never evidence text."""
    if not url or not re.match(r"^https?://[^\s()<>]+$", url):
        return escape(label)
    return f"[{escape(label)}]({url})"


def natural_key(text: str) -> tuple[tuple[int, str, int], ...]:
    """Sort key that orders ids as people read them: ``OBS5`` before ``OBS10``."""
    return tuple(
        (0, "", int(part)) if part.isdigit() else (1, part.lower(), 0)
        for part in re.findall(r"\d+|\D+", text)
    )
