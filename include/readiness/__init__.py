"""readiness: keep every service's production-readiness checklist true, continuously.

The package is the domain core: checklists, evidence, validation, levels, history and
issues. It never imports Airflow; the DAGs and ``plugins/`` call into it.
"""

__version__ = "0.1.0"
