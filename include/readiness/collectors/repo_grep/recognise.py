"""Patterns to find, or to find none of, in a repository, in a document's words."""

from __future__ import annotations

import re

from readiness.collectors.recognise import Guess, Wording, rule, slug


def registered(w: Wording) -> Guess | None:
    found = re.search(
        r"\b(?:registered|listed|referenced|cross-referenced) (?:in|from) (\S+)", w.text
    )
    if not found:
        return None
    return rule(
        "repo_grep",
        {
            "pattern": re.escape(w.id or slug(w.title)),
            "paths": [found.group(1).rstrip(".,;")],
        },
        [{"expect_column_values_to_be_between": {"column": "matches", "min_value": 1}}],
        None,
    ), f"the pattern to find in {found.group(1)}: only the document's wording was read"


def forbidden_pattern(w: Wording) -> Guess | None:
    if not re.search(r"\bgrep\b|\bno (?:todo|fixme|console\.log|any)\b|\bno imports?\b", w.lowered):
        return None
    return rule(
        "repo_grep",
        {"pattern": "TODO|FIXME", "paths": ["src/**/*"]},
        [{"expect_column_values_to_be_between": {"column": "matches", "max_value": 0}}],
        None,
    ), "the pattern and paths to search: only the document's wording was read"


RECOGNISERS = [(110, registered), (120, forbidden_pattern)]
