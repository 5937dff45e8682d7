# Production image: the official Airflow image plus the pinned project dependencies and the
# project's dags/, plugins/ and include/ (Astro layout). Google APIs use Application Default
# Credentials (Workload Identity); no key files are baked in or mounted.
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root requirements.txt requirements.lock /opt/readiness/
# Constrain to the lock so the image resolves exactly what CI tested.
RUN pip install --no-cache-dir "apache-airflow==3.3.2" \
      -r /opt/readiness/requirements.txt -c /opt/readiness/requirements.lock

COPY --chown=airflow:root pyproject.toml README.md /opt/readiness/
COPY --chown=airflow:root include/ /opt/readiness/include/
RUN pip install --no-cache-dir --no-deps /opt/readiness

COPY --chown=airflow:root dags/ /opt/airflow/dags/
COPY --chown=airflow:root plugins/ /opt/airflow/plugins/
COPY --chown=airflow:root checklists/ /opt/airflow/readiness/checklists/
COPY --chown=airflow:root services/ /opt/airflow/readiness/services/
COPY --chown=airflow:root readiness.yaml /opt/airflow/readiness/readiness.yaml
ENV READINESS_HOME=/opt/airflow/readiness
