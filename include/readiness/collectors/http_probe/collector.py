"""HTTP probes: health endpoints answer (O1 /healthz, /readyz), with latency, and a
Prometheus /metrics endpoint exposes the documented metric names (O2)."""

from __future__ import annotations

import re
import time
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from readiness.collectors import CollectRequest
from readiness.collectors._recorded import names_of, recorded
from readiness.domain.model import Evidence
from readiness.evidence.provenance import sha256_text
from readiness.support.timeutil import parse_duration, utcnow

COLUMNS = ("url", "status_code", "latency_ms", "checked_at", "metrics_missing", "missing_metrics")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)")


class ProbeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    urls: str | list[str]
    timeout: str = "5s"
    #: metric names the endpoint must expose (Prometheus text exposition)
    metrics: list[str] = []
    #: a named credential (``CollectContext.credential_for``) sent as ``Authorization:
    #: Bearer`` to endpoints behind auth, over https to the hosts setting
    #: ``credential_hosts`` allows it; the spec names it, never holds it
    credential: str | None = None


def metric_names(text: str) -> set[str]:
    """Families (``# TYPE name …``) and sample names of a Prometheus text exposition."""
    names: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("# TYPE ") or line.startswith("# HELP "):
            parts = line.split()
            if len(parts) >= 3:
                names.add(parts[2])
        elif line and not line.startswith("#"):
            match = _SAMPLE.match(line)
            if match:
                names.add(match.group(1))
    return names


def _missing(wanted: list[str], found: set[str]) -> list[str]:
    return sorted(name for name in wanted if name not in found)


class HttpProbeCollector:
    kind: ClassVar[str] = "http_probe"
    source: ClassVar[str] = "http"
    outage: ClassVar[str] = "endpoint"
    recorded: ClassVar[str | None] = "probe_result"
    Params: ClassVar[type[BaseModel]] = ProbeParams
    #: Every column its evidence has: ``check`` refuses an expectation on any other.
    columns: ClassVar[tuple[str, ...]] = COLUMNS

    def collect(self, request: CollectRequest) -> Evidence:
        params = ProbeParams.model_validate(request.params)
        urls = names_of(params.urls)
        if not request.live:
            evidence = recorded(request, "probe_result", "url", urls)
            if params.metrics and evidence.found and not evidence.error:
                rows = []
                for row in evidence.rows:
                    found = set(row.get("metrics") or [])
                    missing = _missing(params.metrics, found)
                    rows.append(
                        {
                            **row,
                            "metrics_missing": len(missing),
                            "missing_metrics": ", ".join(missing),
                        }
                    )
                columns = tuple(
                    dict.fromkeys([*evidence.columns, "metrics_missing", "missing_metrics"])
                )
                from dataclasses import replace

                evidence = replace(evidence, rows=rows, columns=columns)
            return evidence
        return self._live(urls, params, request)

    def _live(self, urls: list[str], params: ProbeParams, request: CollectRequest) -> Evidence:
        import httpx

        headers = {}
        if params.credential:
            # every URL is checked before the first request: a secret goes nowhere else
            for url in urls:
                token = request.context.credential_for(params.credential, url)
            headers["Authorization"] = f"Bearer {token.reveal()}"
        fetched_at = utcnow()
        timeout = parse_duration(params.timeout).total_seconds()
        rows: list[dict[str, Any]] = []
        bodies: list[str] = []
        for url in urls:
            started = time.monotonic()
            row: dict[str, Any] = {"url": url, "checked_at": utcnow()}
            try:
                response = httpx.get(url, timeout=timeout, follow_redirects=False, headers=headers)
            except httpx.TimeoutException:
                # it is reachable but does not answer in time: a finding, not an outage of ours
                row.update(status_code=0, latency_ms=round(timeout * 1000))
                row.update(metrics_missing=len(params.metrics), missing_metrics="(no answer)")
                rows.append(row)
                continue
            except httpx.TransportError as exc:
                return Evidence.failed(
                    url, fetched_at, f"cannot reach {url}: {type(exc).__name__}", transient=True
                )
            row["status_code"] = response.status_code
            row["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
            missing = (
                _missing(params.metrics, metric_names(response.text)) if params.metrics else []
            )
            row["metrics_missing"] = len(missing)
            row["missing_metrics"] = ", ".join(missing)
            bodies.append(f"{url} {response.status_code}\n{response.text[:65536]}")
            rows.append(row)
        return Evidence(
            rows=rows,
            columns=COLUMNS,
            uri=urls[0] if len(urls) == 1 else ", ".join(urls),
            sha256=sha256_text("\n".join(bodies)),
            fetched_at=fetched_at,
            observed_at=fetched_at,
            summary={"source": "live", "urls": urls},
        )


COLLECTOR = HttpProbeCollector()
