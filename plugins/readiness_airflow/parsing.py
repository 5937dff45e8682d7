"""What building the readiness DAGs costs against Airflow's deadlines for a DAG file: one
file builds every service's DAG, so when it runs out of time the whole fleet's DAGs go."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def warn_near_import_timeout(seconds: float, count: int) -> str | None:
    """Say so when building every DAG took over half of Airflow's ``dagbag_import_timeout``
    (30 s by default; 10,000 specs take about 25 s): past it the DAG file is an import error
    and every service's DAG goes at once. The warning, or None."""
    from airflow.configuration import conf

    limit = conf.getfloat("core", "dagbag_import_timeout", fallback=30.0)
    if limit <= 0 or seconds <= limit / 2:
        return None
    message = (
        f"readiness: building {count} DAGs took {seconds:.1f} s of the {limit:.0f} s "
        "dagbag_import_timeout; raise AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT (and "
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT above it) before the fleet grows: "
        "past it, every readiness DAG is an import error (docs/scale.md)"
    )
    log.warning(message)
    return message
