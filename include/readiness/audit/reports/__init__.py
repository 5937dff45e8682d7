"""The quarterly report: figures from history (``quarterly``), rendered as Markdown and a
self-contained HTML page (``render``), written to the report store: a local folder by
default, ``gs://<bucket>/<prefix>`` in production."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from readiness.audit.reports.quarterly import QuarterReport
from readiness.history import HistoryStore
from readiness.spec.loader.catalog import Catalog


@dataclass(frozen=True)
class WrittenReport:
    quarter: str
    #: file name → where it was written (path or gs:// URI); the HTML page first.
    files: dict[str, str]
    report: QuarterReport

    @property
    def uri(self) -> str:
        return next(iter(self.files.values()))


def _write(root: str, project_root: Path, quarter: str, files: dict[str, bytes]) -> dict[str, str]:
    """Write each file under ``<root>/<quarter>/``; returns name → URI."""
    written: dict[str, str] = {}
    types = {
        ".html": "text/html; charset=utf-8",
        ".md": "text/markdown; charset=utf-8",
        ".svg": "image/svg+xml",
    }
    if root.startswith("gs://"):
        from readiness.evidence.gcs import parse_gs_uri, storage_client

        bucket_name, prefix = parse_gs_uri(root)
        bucket = storage_client().bucket(bucket_name)
        for name, data in files.items():
            key = "/".join(p for p in (prefix, quarter, name) if p)
            blob = bucket.blob(key)
            blob.upload_from_string(data, content_type=types.get(Path(name).suffix))
            written[name] = f"gs://{bucket_name}/{key}"
        return written
    folder = Path(root)
    if not folder.is_absolute():
        folder = project_root / folder
    folder = folder / quarter
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        written[name] = str(path)
    return written


def write_quarter_report(
    history: HistoryStore,
    quarter: str,
    reports_root: str,
    project_root: Path,
    *,
    now: datetime | None = None,
    run_key: str | None = None,
    catalog: Catalog | None = None,
) -> WrittenReport:
    """Build, render and store the report of ``quarter``; with ``run_key``, the evaluations of
    that run record the HTML report's URI (``report_uri``)."""
    from readiness.audit.reports.html import render_html
    from readiness.audit.reports.quarterly import build_quarter_report
    from readiness.audit.reports.render import render_markdown, svg_name, timeline_svg

    report = build_quarter_report(history, quarter, now, catalog)
    files = {
        f"readiness-{quarter}.html": render_html(report).encode(),
        f"readiness-{quarter}.md": render_markdown(report).encode(),
    }
    for sq in report.services:
        files[svg_name(report, sq)] = timeline_svg(report, sq).encode()
    written = WrittenReport(quarter, _write(reports_root, project_root, quarter, files), report)
    if run_key:
        history.record_report(run_key, written.uri)
    return written
