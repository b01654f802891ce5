"""Settings read from the environment, in one place, with the errors a newcomer needs.

Dagster-free so the CLI, the dashboard and the Dagster definitions agree on defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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


# A constant, so the partition set never moves under existing materializations (the old default,
# 1 January of last year, shifted it every January); early enough to hold every partition that
# default ever made. How far back a sync reads is `history_days`, apart from it.
PARTITIONS_START = date(2024, 1, 1)
# User-scope webhooks change rarely and cost one request per seat (docs/scaling.md).
USER_WEBHOOKS_EVERY_DAYS = 7
# Routing-form submissions are read whole this often; runs in between read each form's newest
# ones only (docs/scaling.md): the whole list grows with the history, a day's does not.
SUBMISSIONS_EVERY_DAYS = 30
TRAILING_DAYS = 7
FORWARD_DAYS = 30
HISTORY_DAYS = 365
# Invitee lists (one request per event) a run reads at most; the rest waits for the next runs.
INVITEE_REQUESTS_PER_RUN = 5_000
# DuckDB's memory cap for the pipeline's connections, MiB: a daily sync's peak memory then does
# not grow with the history stored (docs/scaling.md, daily memory).
DUCKDB_MEMORY_MIB = 64


# Whole-number settings: field -> (variable, default, least value). The environment's values and
# the `sync_settings` resource's (edited in the Launchpad) are checked against the same bounds.
WHOLE_NUMBERS: dict[str, tuple[str, int, int]] = {
    "history_days": ("CALENDLY_HISTORY_DAYS", HISTORY_DAYS, 1),
    "trailing_days": ("CALENDLY_TRAILING_DAYS", TRAILING_DAYS, 1),
    "forward_days": ("CALENDLY_FORWARD_DAYS", FORWARD_DAYS, 0),
    "user_webhooks_every_days": ("CALENDLY_USER_WEBHOOKS_EVERY_DAYS", USER_WEBHOOKS_EVERY_DAYS, 0),
    "submissions_every_days": ("CALENDLY_SUBMISSIONS_EVERY_DAYS", SUBMISSIONS_EVERY_DAYS, 0),
    "invitee_requests_per_run": ("CALENDLY_INVITEE_REQUESTS_PER_RUN", INVITEE_REQUESTS_PER_RUN, 1),
    "duckdb_memory_mib": ("CALENDLY_DUCKDB_MEMORY_MIB", DUCKDB_MEMORY_MIB, 32),
}


def check_whole_numbers(values: object) -> None:
    """Check the `WHOLE_NUMBERS` fields `values` has (a resource edited in the Launchpad) with
    the bounds the environment's values are checked with: one line naming the field."""
    for field, (_, default, least) in WHOLE_NUMBERS.items():
        if hasattr(values, field):
            number(field, getattr(values, field), default, minimum=least)


def pii_mode(name: str, value: str) -> str:
    """How invitee personal data is stored: one of PII_MODES, else one line naming `name`."""
    if value not in PII_MODES:
        raise SettingsError(f"{name}={value!r} is not one of {', '.join(PII_MODES)}")
    return value


def today_utc() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Settings:
    """Every pipeline setting the environment holds, read once and checked as a whole.

    Read when Dagster loads the definitions (a run's process loads them as it starts) and by the
    CLI before it starts a run, never at import: a mistake is one `SettingsError` line naming the
    variable (exit 2 in the CLI, a load error in Dagster), never a failed step 13 of 20.
    """

    database: str
    partitions_start: date = PARTITIONS_START
    history_days: int = HISTORY_DAYS
    trailing_days: int = TRAILING_DAYS
    forward_days: int = FORWARD_DAYS
    invitee_pii: str = "hash"
    seats_purchased: int | None = None
    user_webhooks_every_days: int = USER_WEBHOOKS_EVERY_DAYS
    submissions_every_days: int = SUBMISSIONS_EVERY_DAYS
    invitee_requests_per_run: int = INVITEE_REQUESTS_PER_RUN
    duckdb_memory_mib: int = DUCKDB_MEMORY_MIB

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        raw_start = env.get("CALENDLY_START_DATE")
        pii = pii_mode("CALENDLY_INVITEE_PII", env.get("CALENDLY_INVITEE_PII") or "hash")
        for name in URL_VARIABLES:
            value = env.get(name)
            parts = urlsplit(value or "")
            if value and (parts.scheme not in ("http", "https") or not parts.netloc):
                raise SettingsError(f"{name}={value!r} is not an http(s) URL (e.g. https://host)")
        return cls(
            database=duckdb_database(),
            partitions_start=(
                _parse_date("CALENDLY_START_DATE", raw_start) if raw_start else PARTITIONS_START
            ),
            invitee_pii=pii,
            seats_purchased=seats_purchased(),
            **{
                field: number(variable, env.get(variable), default, minimum=least)
                for field, (variable, default, least) in WHOLE_NUMBERS.items()
            },
        )

    def history_start(self, today: date) -> date:
        """The first day a sync without `--start` reads: `history_days` back, never before the
        first partition."""
        return max(today - timedelta(days=self.history_days), self.partitions_start)


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


def seats_purchased() -> int | None:
    """`CALENDLY_SEATS_PURCHASED`: seats bought under contract. The API does not expose it, and
    a removed member's seat stays paid until someone removes it on the billing page."""
    raw = os.environ.get("CALENDLY_SEATS_PURCHASED")
    return number("CALENDLY_SEATS_PURCHASED", raw, 0, minimum=0) if raw else None
