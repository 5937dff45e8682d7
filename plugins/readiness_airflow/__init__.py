"""Airflow glue for readiness: the DAG factory, the task runtime, the Linear hook and the
listener that writes each run's outcome into its DAG run note. The domain core
(``include/readiness``) never imports Airflow; this package is the only bridge."""
