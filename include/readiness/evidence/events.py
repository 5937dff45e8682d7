"""Evidence events: a writer that lands evidence for a service says so on a message queue,
so the service's DAG runs within minutes instead of at its next cron tick (an Airflow
``AssetWatcher`` with the common-messaging ``MessageQueueTrigger`` listens).

On embedded defaults the queue is Redis pub/sub (``evidence_events: redis://…``), one
channel per service, so one service's events never run another's DAG. Pub/sub delivers at
most once: an event nobody was listening for is gone, and the cron tick still evaluates
what landed. Publishing never fails the writer: the evidence is written either way."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "readiness.evidence."
#: A queue that does not answer costs the writer at most this, never a hang.
PUBLISH_TIMEOUT_S = 2.0
#: Paths listed in one message; the count is always the whole batch's.
LISTED = 20


def channel(service: str) -> str:
    """The service's channel (service names are ``[a-z][a-z0-9-]*``: no pattern chars)."""
    return f"{CHANNEL_PREFIX}{service}"


def message(service: str, paths: Sequence[str], at: datetime | None = None) -> str:
    return json.dumps(
        {
            "service": service,
            "files": len(paths),
            "paths": list(paths[:LISTED]),
            "landed_at": (at or datetime.now(UTC)).isoformat(),
        }
    )


def publish(url: str, service: str, paths: Sequence[str]) -> bool:
    """One message for a batch of files that landed for ``service`` (a burst is one
    message); False, logged, if the queue could not take it."""
    if not url or not paths:
        return False
    if not url.startswith(("redis://", "rediss://")):
        log.warning("evidence_events %r: expected a redis:// URL; no event sent", url[:60])
        return False
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=PUBLISH_TIMEOUT_S, socket_connect_timeout=PUBLISH_TIMEOUT_S
    )
    try:
        client.publish(channel(service), message(service, paths))
        return True
    except (redis.RedisError, OSError) as exc:
        log.warning("evidence event for %s not sent (%s); its cron tick evaluates it", service, exc)
        return False
    finally:
        client.close()
