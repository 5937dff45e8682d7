"""Health endpoints and Prometheus metrics in a document's words."""

from __future__ import annotations

import re

from readiness.collectors.recognise import Guess, Wording, in_set, rule


def health(w: Wording) -> Guess | None:
    if not re.search(
        r"/healthz|/readyz|/livez|curl\b.*\b200\b|returns 200|health and readiness probes",
        w.lowered,
    ):
        return None
    urls = [f"${{locations.base_url}}{u}" for u in re.findall(r"/(?:healthz|readyz|livez)", w.text)]
    urls = urls or ["${locations.base_url}/healthz"]
    return rule(
        "http_probe",
        {"urls": urls},
        [in_set("status_code", [200])],
        w.stated_max_age or "1d",
    ), ""


def metrics(w: Wording) -> Guess | None:
    if "/metrics" not in w.lowered and "prometheus" not in w.lowered:
        return None
    return rule(
        "http_probe",
        {"urls": "${locations.base_url}/metrics", "metrics": []},
        [{"expect_column_values_to_be_between": {"column": "metrics_missing", "max_value": 0}}],
        w.stated_max_age or "1d",
    ), "list the metric families the document requires in metrics:"


RECOGNISERS = [(20, health), (30, metrics)]
