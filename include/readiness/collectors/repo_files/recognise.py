"""Files a repository must hold, in a document's words."""

from __future__ import annotations

import re

from readiness.collectors.recognise import Guess, Wording, paths_in


def files_present(w: Wording) -> Guess | None:
    paths = paths_in(w.text)
    if not (
        paths and re.search(r"exist|commit|present|\brepo\b|\bfile\b|\bdoc\b|published", w.lowered)
    ):
        return None
    return {
        "evidence": {"kind": "repo_files", "params": {"paths": paths}},
        "expectations": [
            {"expect_column_values_to_be_in_set": {"column": "exists", "value_set": [True]}}
        ],
    }, ""


RECOGNISERS = [(140, files_present)]
