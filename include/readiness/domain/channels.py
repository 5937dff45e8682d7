"""Where a team is told about its service's level (``ServiceSpec.notify``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channels:
    """Where a team hears that its level moved or is about to: Airflow connection ids (the
    webhook URL and the SMTP password stay in the connection), and mail recipients."""

    slack: str | None = None
    email: str | None = None
    email_to: tuple[str, ...] = ()

    def named(self) -> dict[str, str]:
        """Channel name → connection id, for the channels configured."""
        return {
            name: conn
            for name, conn in (("slack", self.slack), ("email", self.email))
            if conn is not None
        }
