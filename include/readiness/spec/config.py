"""Settings: one YAML file plus ``READINESS_*`` environment variables, with embedded
defaults that need no cloud account (DuckDB history, the sample evidence folder, the local
outbox). Secrets are never read from here: the Linear key comes from the Airflow
connection ``linear_default`` or ``LINEAR_API_KEY``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from readiness.support.errors import ConfigError, Problem

CONFIG_FILE = "readiness.yaml"


def find_project_root(start: Path | None = None) -> Path:
    """``READINESS_HOME``, else the nearest folder upwards with ``readiness.yaml``, else the
    checkout this package lives in."""
    if os.environ.get("READINESS_HOME"):
        return Path(os.environ["READINESS_HOME"]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).exists():
            return folder
    return Path(__file__).resolve().parents[2]


@dataclass
class Settings:
    project_root: Path
    checklists: list[str] = field(default_factory=lambda: ["checklists"])
    services: list[str] = field(default_factory=lambda: ["services"])
    evidence_root: str = "samples/evidence"
    history: str = "duckdb://var/history.duckdb"
    dataset: str = "readiness"
    tracker: str = "outbox"
    outbox: str = "var/outbox"
    linear_endpoint: str = "https://api.linear.app/graphql"
    reports: str = "var/reports"
    error_grace_runs: int = 2
    #: Days before a lapse below target that a pre-lapse notice is filed (0: none).
    lapse_notice_days: int = 7
    #: A Redis URL evidence writers publish to when evidence lands (``evidence/events``);
    #: each service DAG then also runs on its evidence events, through an AssetWatcher on
    #: Airflow connection ``readiness_events``. Empty: runs on the cron tick only.
    evidence_events: str = ""
    #: A service's run not succeeded this many minutes after its cron tick is late: an
    #: Airflow Deadline Alert tells the team and the portfolio shows it (0: no deadline).
    run_deadline_minutes: int = 120
    collect_workers: int = 4
    #: Each service's cron tick moved by a deterministic per-service offset of up to this
    #: many minutes, inside the hour it names (``domain/ticks``): 10,000 services on
    #: ``0 5 * * *`` then fall due about 170 a minute, not all in one. 0: as written.
    tick_spread_minutes: int = 0
    #: Days of Airflow's own metadata (runs, task instances, XComs, logs) the daily
    #: ``readiness__metadata_retention`` DAG keeps (``airflow db clean``); readiness history
    #: is another store, never pruned. 0: no retention DAG.
    metadata_retention_days: int = 90
    #: The tracker team that gets the issue of an outage of a source the fleet shares (the
    #: evidence bucket, BigQuery, the Cloud Storage API): one issue for every service it
    #: takes down. Empty: the team of the first service that meets it.
    outage_team: str = ""
    bigquery_location: str = "EU"
    #: For emulators only (anonymous credentials); production uses Google's endpoint + ADC.
    bigquery_endpoint: str = ""
    #: auto: live cloud APIs and HTTP probes when evidence_root is gs:// (production), the
    #: recorded settings documents in the evidence store otherwise. true / false force it.
    live_sources: str = "auto"
    #: An Airflow pool the ``record`` tasks write history through, sized to what the
    #: warehouse allows at once (BigQuery: 2 mutating DML statements per table run, 20
    #: queue; docs/history.md). Empty: no pool (DuckDB serialises writers itself).
    history_write_pool: str = ""
    #: Where ``record`` tasks put their runs as shards (a folder or ``gs://bucket/prefix``)
    #: for the ``readiness__history_transfer`` DAG to load in batches and seal (one load
    #: job and one ``MERGE`` per table a batch; docs/history.md). Empty: each ``record``
    #: writes history and signs its verdict itself.
    history_transfer: str = ""
    #: How often the transfer DAG loads the pending shards (minutes, 1 to 60).
    history_transfer_minutes: int = 5
    #: The most shards one transfer loads (the rest wait for the next one).
    history_transfer_batch: int = 2000
    #: How long an unreachable evidence source (a bucket, BigQuery, an HTTP endpoint) is
    #: tried in one run, retries included, before its items are recorded as ``error``.
    source_deadline_s: int = 60
    #: Folders a spec's ``repo`` must lie under (where CI checks the services out). A spec
    #: can point nowhere else: ``repo_grep`` copies matching lines into history.
    repo_roots: list[str] = field(default_factory=lambda: ["."])
    #: How long one history read or write keeps retrying a warehouse that does not answer
    #: (BigQuery), before the task fails and Airflow's retry takes over.
    history_timeout_s: int = 300
    #: The first Airflow retry delay of a task that touches an outside system (collect,
    #: record; issue sync waits twice as long), doubling on each retry up to 10 minutes.
    task_retry_delay_s: int = 30
    #: Credential name → the hosts it may be sent to (``status.example.com``, or
    #: ``*.example.com`` for its subdomains), over https only. A credential is never sent
    #: to a host a spec picks: a URL built from ``${locations.base_url}`` elsewhere is
    #: refused before any request. Environment: ``name=host,host;name=host``.
    credential_hosts: dict[str, list[str]] = field(default_factory=dict)
    #: URI prefixes (``gs://<bucket>/<prefix>`` or a local folder) under which a spec's
    #: ``evidence.store`` may name a folder of its own service's name. Without an entry, a
    #: spec's store must lie under ``<evidence_root>/<service>``.
    evidence_stores: list[str] = field(default_factory=list)
    #: The most bytes one evidence document (or one repository file) may have; a larger
    #: one makes its item ``error`` naming this limit, and is never read whole.
    max_document_bytes: int = 16 * 1024 * 1024
    #: The most bytes one service's run may read from its evidence store.
    max_run_bytes: int = 256 * 1024 * 1024
    #: Where grants made outside Airflow live, ``<exemptions_root>/<service>/`` (a risk
    #: register's exports, an approver's grant document): a location the compliance team
    #: owns and the service teams cannot write. Never a spec field. On embedded defaults,
    #: ``samplegrants://`` is the sample risk register, renewing its standing waivers.
    exemptions_root: str = "samples/exemptions"
    #: The Ed25519 key verdicts are signed with, a PEM file. In production it comes from
    #: the Airflow connection ``readiness_verdict_key`` (its password; a secrets backend
    #: serves it) or ``READINESS_CREDENTIAL_VERDICT_KEY``. Unset (embedded defaults): a
    #: key beside the DuckDB history (``var/``), generated on first use.
    verdict_key: str = ""
    #: The public keys verdicts may carry (JSON, ``{"keys": [{"public_key": PEM}]}``): the
    #: current key and every retired one. Unset: beside the DuckDB history, holding the
    #: keys generated there.
    verdict_keyring: str = ""
    #: Where the exact bytes each verdict scored are kept, by sha256 (a folder or
    #: ``gs://``, ideally a bucket with a retention lock). Unset: ``evidence-archive/``
    #: beside the DuckDB history; ``none``: not archived.
    evidence_archive: str = ""
    #: Where each verdict's envelope is also written as a file (a folder or ``gs://``).
    verdict_archive: str = ""

    @property
    def live(self) -> bool:
        if self.live_sources == "auto":
            return self.evidence_root.startswith("gs://")
        return self.live_sources.lower() in ("true", "1", "yes")

    def path(self, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else self.project_root / path

    @property
    def state_folder(self) -> Path:
        """Where the embedded default keeps its state: beside a DuckDB history file, else
        ``var/``."""
        url = self.history
        if url.startswith("duckdb://") or "://" not in url:
            return self.path(url.removeprefix("duckdb://")).parent
        return self.project_root / "var"

    @property
    def checklist_paths(self) -> list[Path]:
        return [self.path(p) for p in self.checklists]

    @property
    def service_paths(self) -> list[Path]:
        return [self.path(p) for p in self.services]


def _host_map(value: Any) -> dict[str, list[str]]:
    """``{name: [host, ...]}`` from YAML, or from ``name=host,host;name=host`` (the
    environment); ValueError for anything else."""
    if isinstance(value, str):
        pairs = [part.partition("=") for part in value.split(";") if part.strip()]
        if any(not sep for _name, sep, _hosts in pairs):
            raise ValueError(value)
        value = {
            n.strip(): [h.strip() for h in hosts.split(",") if h.strip()] for n, _, hosts in pairs
        }
    if not isinstance(value, dict) or not all(
        isinstance(hosts, list) and all(isinstance(h, str) and h for h in hosts)
        for hosts in value.values()
    ):
        raise ValueError(value)
    return {str(n): [h.lower() for h in hosts] for n, hosts in value.items()}


_ENV = {f.name: f"READINESS_{f.name.upper()}" for f in fields(Settings) if f.name != "project_root"}


#: Whole-number settings with a range: (name, lowest, highest, what the number counts).
_RANGES = (
    ("tick_spread_minutes", 0, 60, " (minutes inside the tick's hour)"),
    ("history_transfer_minutes", 1, 60, ""),
    ("history_transfer_batch", 1, 20_000, " shards"),
)


def load_settings(config_file: Path | None = None, project_root: Path | None = None) -> Settings:
    """Settings from the config file (if any), then the environment on top."""
    root = project_root or find_project_root()
    path = config_file or Path(os.environ.get("READINESS_CONFIG", root / CONFIG_FILE))
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError([Problem(str(path), "", f"malformed YAML: {exc}")]) from exc
        if not isinstance(loaded, dict):
            raise ConfigError([Problem(str(path), "", "expected a YAML mapping")])
        data = loaded
    known = set(_ENV)
    problems = [
        Problem(str(path), key, f"unknown setting; expected one of {sorted(known)}")
        for key in data
        if key not in known
    ]
    if problems:
        raise ConfigError(problems)
    for name, env in _ENV.items():
        if env in os.environ:
            data[name] = os.environ[env]
    settings = Settings(project_root=root)
    for name, value in data.items():
        current = getattr(settings, name)
        try:
            if isinstance(current, dict):
                value = _host_map(value)
            elif isinstance(current, list):
                value = value if isinstance(value, list) else str(value).split(os.pathsep)
            elif isinstance(current, int):
                value = int(value)
            else:
                value = str(value)
        except ValueError as exc:
            expected = (
                "a mapping of credential name to a list of hosts"
                if isinstance(current, dict)
                else "a whole number"
            )
            raise ConfigError(
                [Problem(str(path), name, f"expected {expected}, got {value!r}")]
            ) from exc
        setattr(settings, name, value)
    if settings.live_sources.lower() not in ("auto", "true", "false", "1", "0", "yes", "no"):
        raise ConfigError([Problem(str(path), "live_sources", "expected auto, true or false")])
    for name, low, high, unit in _RANGES:
        value = getattr(settings, name)
        if not low <= value <= high:
            raise ConfigError(
                [Problem(str(path), name, f"expected {low} to {high}{unit}, got {value}")]
            )
    from readiness.trackers import TRACKERS

    if settings.tracker not in TRACKERS:
        names = " or ".join(repr(n) for n in TRACKERS)
        raise ConfigError(
            [Problem(str(path), "tracker", f"expected {names}, got {settings.tracker!r}")]
        )
    return settings
