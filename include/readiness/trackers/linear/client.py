"""GraphQL over HTTPS to Linear, with the retry rules a scheduled job needs.

- Rate limits (HTTP 429, or a GraphQL error whose ``extensions.code`` is ``RATELIMITED``):
  wait what ``Retry-After`` or ``X-RateLimit-Requests-Reset`` says (capped), with jitter.
- 5xx, timeouts and dropped connections: exponential backoff with jitter.
- Both bounded: after ``attempts`` the call raises ``TrackerError`` and the issue sync
  leaves the work pending for the next run.
- An invalid or missing key is one clear ``LinearAuthError``, never retried.

The API key travels only in the ``Authorization`` header (a personal key, no ``Bearer``);
it is never logged and never part of an exception message."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from readiness.trackers import TrackerAuthError, TrackerError

log = logging.getLogger(__name__)
DEFAULT_ENDPOINT = "https://api.linear.app/graphql"


class LinearAuthError(TrackerAuthError):
    """Linear refused the key: nothing will work until it is fixed."""


class LinearRequestError(TrackerError):
    """Linear answered with GraphQL errors that retrying will not fix."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    #: A rate-limit reset further away than this is not waited for in this run.
    max_rate_limit_wait_s: float = 60.0
    timeout_s: float = 20.0


class _Retry(Exception):
    def __init__(self, why: str, wait_s: float | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.wait_s = wait_s


class LinearClient:
    def __init__(
        self,
        api_key: str,
        endpoint: str = DEFAULT_ENDPOINT,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise LinearAuthError(
                "no Linear API key: set the password of Airflow connection 'linear_default' "
                "or LINEAR_API_KEY"
            )
        self.endpoint = endpoint
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=self.policy.timeout_s,
            headers={"Authorization": api_key, "Content-Type": "application/json"},
            transport=transport,
        )
        #: Requests sent, by operation name (the steady-state test counts them).
        self.sent: dict[str, int] = {}

    def __repr__(self) -> str:  # never show the key
        return f"LinearClient(endpoint={self.endpoint!r})"

    def close(self) -> None:
        self._http.close()

    def execute(self, document: str, variables: dict[str, Any], operation: str) -> dict[str, Any]:
        """Run one operation; returns its ``data``."""
        delay = self.policy.base_delay_s
        last = ""
        for attempt in range(1, self.policy.attempts + 1):
            self.sent[operation] = self.sent.get(operation, 0) + 1
            try:
                return self._once(document, variables, operation)
            except _Retry as retry:
                last = retry.why
                if attempt == self.policy.attempts:
                    break
                wait = retry.wait_s if retry.wait_s is not None else delay
                if wait > self.policy.max_rate_limit_wait_s:
                    raise TrackerError(
                        f"Linear {operation}: {retry.why}; the limit resets in {wait:.0f}s, "
                        "left for the next run"
                    ) from None
                wait = min(wait, self.policy.max_delay_s) * random.uniform(1.0, 1.25)
                log.warning(
                    "Linear %s: %s; retry %d/%d in %.1fs",
                    operation,
                    retry.why,
                    attempt,
                    self.policy.attempts - 1,
                    wait,
                )
                self._sleep(wait)
                delay = min(delay * 2, self.policy.max_delay_s)
        raise TrackerError(
            f"Linear {operation}: gave up after {self.policy.attempts} attempts ({last})"
        )

    def _once(self, document: str, variables: dict[str, Any], operation: str) -> dict[str, Any]:
        try:
            response = self._http.post(
                self.endpoint,
                json={"query": document, "variables": variables, "operationName": operation},
            )
        except httpx.TimeoutException:
            raise _Retry("timed out") from None
        except httpx.TransportError as exc:
            raise _Retry(f"connection failed: {type(exc).__name__}") from None
        body: dict[str, Any] = {}
        try:
            parsed = response.json()
            if isinstance(parsed, dict):
                body = parsed
        except ValueError:
            pass
        errors = body.get("errors") or []
        codes = {str((e.get("extensions") or {}).get("code", "")).upper() for e in errors}
        if response.status_code == 429 or "RATELIMITED" in codes:
            raise _Retry("rate limited", _rate_limit_wait(response.headers))
        if response.status_code == 401 or "AUTHENTICATION_ERROR" in codes:
            raise LinearAuthError(
                "Linear rejected the API key (authentication error): check the password of "
                "Airflow connection 'linear_default' or LINEAR_API_KEY"
            )
        if response.status_code >= 500:
            raise _Retry(f"HTTP {response.status_code}")
        if errors:
            messages = "; ".join(str(e.get("message", e))[:200] for e in errors[:3])
            raise LinearRequestError(f"Linear {operation}: {messages}")
        if response.status_code != 200 or "data" not in body:
            raise LinearRequestError(f"Linear {operation}: HTTP {response.status_code}")
        data: dict[str, Any] = body["data"]
        return data


def _rate_limit_wait(headers: httpx.Headers) -> float | None:
    """Seconds to wait: ``Retry-After`` (seconds), else the requests reset time (epoch
    seconds or milliseconds), else None (use the backoff)."""
    retry_after = headers.get("retry-after")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    reset = headers.get("x-ratelimit-requests-reset")
    if reset:
        try:
            value = float(reset)
        except ValueError:
            return None
        if value > 1e11:  # milliseconds since the epoch
            value /= 1000
        return max(0.0, value - time.time())
    return None
