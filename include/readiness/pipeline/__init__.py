"""One evaluation: collect evidence, validate it with Great Expectations, score, record
history, sync issues. The CLI's batch and the Airflow tasks run the same stages."""
