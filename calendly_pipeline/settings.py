"""Settings read from the environment, in one place, with the errors a newcomer needs.

Dagster-free so the CLI, the dashboard and the Dagster definitions agree on defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """`CALENDLY_DATA_DIR`, default data/ in the project: read when called, never at import, so
    a process that sets the variable after importing the package still uses it."""
    return Path(os.environ.get("CALENDLY_DATA_DIR", PROJECT_ROOT / "data"))


PII_MODES = ("hash", "keep", "drop")
URL_VARIABLES = ("CALENDLY_API_BASE_URL", "CALENDLY_AUTH_BASE_URL")


class SettingsError(ValueError):
    """A setting from the environment is malformed; the message names the variable."""


def _parse_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a date; use YYYY-MM-DD") from None


N = TypeVar("N", int, float)


def number(name: str, raw: object, default: N, *, minimum: N, inclusive: bool = True) -> N:
    """A numeric setting (env var or resource field) with the error a newcomer needs."""
    if raw is None or raw == "":
        return default
    cast = type(default)
    try:
        value = cast(raw)
    except (TypeError, ValueError):
        what = "a whole number" if cast is int else "a number"
        raise SettingsError(f"{name}={raw!r} is not {what}") from None
    if value < minimum or (not inclusive and value == minimum):
        bound = "at least" if inclusive else "more than"
        raise SettingsError(f"{name}={value} must be {bound} {minimum}")
    return value


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    return number(name, os.environ.get(name), default, minimum=minimum)


def today_utc() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class SyncWindowSettings:
    """Where daily partitions start and how far each daily run re-reads around today."""

    start_date: date
    trailing_days: int
    forward_days: int

    @classmethod
    def from_env(cls) -> SyncWindowSettings:
        raw_start = os.environ.get("CALENDLY_START_DATE")
        # Default: 1 January of last year, so partitions are stable for a whole year and cover
        # at least twelve months of history.
        start = (
            _parse_date("CALENDLY_START_DATE", raw_start)
            if raw_start
            else date(today_utc().year - 1, 1, 1)
        )
        return cls(
            start_date=start,
            trailing_days=_int("CALENDLY_TRAILING_DAYS", 7, minimum=1),
            forward_days=_int("CALENDLY_FORWARD_DAYS", 30, minimum=0),
        )


def duckdb_database() -> str:
    """`CALENDLY_DUCKDB_PATH`, default `data/calendly.duckdb`; `md:` URIs pass through as-is."""
    return os.environ.get("CALENDLY_DUCKDB_PATH") or str(data_dir() / "calendly.duckdb")


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or data_dir() / "dagster_home")


def dashboard_path(database: str | None = None) -> Path:
    """`CALENDLY_DASHBOARD_PATH`, else `dashboard.html` beside the warehouse (`database`, default
    `duckdb_database()`): a sync into another warehouse must not overwrite another one's page.
    An `md:` warehouse has no folder; its page goes to data/."""
    if explicit := os.environ.get("CALENDLY_DASHBOARD_PATH"):
        return Path(explicit)
    database = database or duckdb_database()
    folder = data_dir() if database.startswith("md:") else Path(database).parent
    return folder / "dashboard.html"


def validate_environment() -> None:
    """Check every sync setting the environment holds, before a run starts.

    A mistake found here is one line naming the variable that was set (exit 2); found inside
    the run it was a traceback, or a failed step 13 of 20 naming a resource field.
    """
    SyncWindowSettings.from_env()
    seats_purchased()
    user_webhooks_every_days()
    pii = os.environ.get("CALENDLY_INVITEE_PII")
    if pii and pii not in PII_MODES:
        raise SettingsError(f"CALENDLY_INVITEE_PII={pii!r} is not one of {', '.join(PII_MODES)}")
    for name in URL_VARIABLES:
        value = os.environ.get(name)
        parts = urlsplit(value or "")
        if value and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise SettingsError(f"{name}={value!r} is not an http(s) URL (e.g. https://host)")


# User-scope webhooks change rarely and cost one request per seat (docs/scaling.md).
USER_WEBHOOKS_EVERY_DAYS = 7


def user_webhooks_every_days() -> int:
    """`CALENDLY_USER_WEBHOOKS_EVERY_DAYS`: days between two reads of the user-scope webhook
    subscriptions; 0 reads them on every run."""
    raw = os.environ.get("CALENDLY_USER_WEBHOOKS_EVERY_DAYS")
    return number("CALENDLY_USER_WEBHOOKS_EVERY_DAYS", raw, USER_WEBHOOKS_EVERY_DAYS, minimum=0)


def seats_purchased() -> int | None:
    """`CALENDLY_SEATS_PURCHASED`: seats bought under contract. The API does not expose it, and
    a removed member's seat stays paid until someone removes it on the billing page."""
    raw = os.environ.get("CALENDLY_SEATS_PURCHASED")
    return number("CALENDLY_SEATS_PURCHASED", raw, 0, minimum=0) if raw else None
