"""Load checklists and service specs from YAML, reporting every problem with the file,
the path inside it (``sections[2].items[3].expectations[0]``), the line and what was
expected. One bad file never hides the others: :func:`load_catalog` keeps going.

Split by reason to change: ``documents`` (the YAML shapes), ``yaml_source`` (files and
line numbers), ``placeholders`` (run-time substitution), ``checklists`` and ``specs``
(parsing and cross-checks), ``catalog`` (loading a whole project)."""

from __future__ import annotations

from readiness.spec.loader.catalog import (
    Catalog,
    is_spec_file,
    load_catalog,
    load_catalog_cached,
    load_service_catalog,
    load_service_catalog_cached,
)
from readiness.spec.loader.checklists import parse_checklist
from readiness.spec.loader.placeholders import PLACEHOLDER, RUNTIME_NAMES, placeholders, substitute
from readiness.spec.loader.specs import parse_spec

__all__ = [
    "PLACEHOLDER",
    "RUNTIME_NAMES",
    "Catalog",
    "is_spec_file",
    "load_catalog",
    "load_catalog_cached",
    "load_service_catalog",
    "load_service_catalog_cached",
    "parse_checklist",
    "parse_spec",
    "placeholders",
    "substitute",
]
