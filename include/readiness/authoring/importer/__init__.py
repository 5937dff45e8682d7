"""``readiness import-checklist``: a readiness document as teams write them (seed 004's
numbered sections with ``# Item Status check Evidence`` tables; seed 000's bullet lists
ending in ``Sign-off: …`` lines) turned into checklist YAML that ``readiness check`` accepts.

The document was written for people, so the importer is honest about what it guessed:
- item ids are kept; items without one get ``<SECTION PREFIX><n>`` in document order;
- the collector is read from what the text says (test specs named as the document names
  them, health endpoints, bucket settings, error budgets, coverage, drills, cadences as
  ``max_age``); whatever it had to guess (a check name, a resource, a pattern) carries
  ``review:`` saying what, and an item with no collector becomes an attestation by the
  section's sign-off role(s), or the role the text names;
- HTML and Markdown pipe tables keep their cells;
- tables copied out of a web page lose their cell borders ("D1Bounded context documented…"):
  cells are split where the words visibly change (``documentedSERVICE_OVERVIEW``), and an
  item whose cells could not be told apart is marked for review;
- every line it could not place is reported with its line number; none is dropped silently.
"""

from readiness.authoring.importer.agreement import (
    Agreement,
    DocumentAgreement,
    agreement,
    document_agreement,
)
from readiness.authoring.importer.emit import (
    FILES_AS,
    Document,
    import_checklist,
    import_documents,
    import_file,
)
from readiness.authoring.importer.ladder import ImportProblem
from readiness.authoring.importer.map import evidence_for, max_age_of, roles_named, spec_files
from readiness.authoring.importer.model import (
    ImportedItem,
    ImportedSection,
    ImportResult,
    empty_levels_warning,
)
from readiness.authoring.importer.parse import parse_document
from readiness.authoring.importer.text import html_to_text, vocabulary_of
from readiness.collectors.recognise import slug

__all__ = [
    "FILES_AS",
    "Agreement",
    "Document",
    "DocumentAgreement",
    "ImportProblem",
    "ImportResult",
    "ImportedItem",
    "ImportedSection",
    "agreement",
    "document_agreement",
    "empty_levels_warning",
    "evidence_for",
    "html_to_text",
    "import_checklist",
    "import_documents",
    "import_file",
    "max_age_of",
    "parse_document",
    "roles_named",
    "slug",
    "spec_files",
    "vocabulary_of",
]
