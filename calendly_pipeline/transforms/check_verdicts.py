"""Data-quality checks behind the Dagster asset checks.

Each returns `(passed, message)`; a failing message names the offending rows (the first
`MAX_LISTED`), so bad raw data shows up as a failed check rather than a silently wrong metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd

from calendly_pipeline.transforms._frames import dates
from calendly_pipeline.transforms.coverage import describe_days, missing_event_days
from calendly_pipeline.transforms.utilization import STATUSES

CheckResult = tuple[bool, str]
MAX_LISTED = 10


def _listing(values: Iterable[object]) -> str:
    items = [str(v) for v in values]
    more = f" (and {len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else ""
    return ", ".join(items[:MAX_LISTED]) + more


def key_result(
    table: str, keys: Sequence[str], rows: int, shared: int, examples: Iterable[object]
) -> CheckResult:
    """The verdict on a table's key from its counts: `shared` rows share a key (`examples`
    lists some); a shared key would double a seat or a meeting."""
    if shared:
        return False, f"{table}: {shared} rows share a key {tuple(keys)}: " + _listing(examples)
    return True, f"{table}: {rows} rows, key {tuple(keys)} unique"


def orphans_result(live: int, orphans: int, examples: Iterable[object]) -> CheckResult:
    """Every live invitee belongs to a live event; an orphan would vanish from every metric."""
    if orphans:
        return False, f"{orphans} invitee(s) without a live event: " + _listing(examples)
    return True, f"all {live} invitees belong to a live event"


def check_seat_arithmetic(seats: pd.DataFrame) -> CheckResult:
    """The statuses (active, idle, unknown, new, pending, removed) must sum to the seat rows."""
    allowed = list(STATUSES)
    counts = seats["status"].value_counts()
    total = int(counts.reindex(allowed, fill_value=0).sum())
    if total != len(seats):
        odd = seats[~seats["status"].isin(allowed)]
        return False, (
            f"statuses sum to {total} but there are {len(seats)} seat rows; rows with another "
            f"status: " + _listing(f"{r.seat_id} ({r.status})" for r in odd.itertuples())
        )
    parts = ", ".join(f"{s}={int(counts.get(s, 0))}" for s in allowed)
    return True, f"{parts}; total {total} = seat rows"


def check_adoption_shares(org_adoption: pd.DataFrame) -> CheckResult:
    """Shares are fractions of active seats: outside [0, 1] means a broken join upstream."""
    share = org_adoption["adoption_share"]
    bad = org_adoption[share.notna() & ((share < 0) | (share > 1))]
    if len(bad):
        return False, (
            f"{len(bad)} adoption share(s) outside [0, 1]: "
            + _listing(
                f"{r.feature} {pd.Timestamp(r.month).date()} = {r.adoption_share:.3f}"
                for r in bad.itertuples()
            )
        )
    return True, f"all {int(share.notna().sum())} adoption shares within [0, 1]"


def check_partition_freshness(
    partitions: Iterable[date | str | pd.Timestamp],
    as_of: pd.Timestamp,
    max_lag_days: int = 1,
) -> CheckResult:
    """Daily partitions are complete from the first to the latest, and the latest is at most
    `max_lag_days` behind `as_of`'s date."""
    days = dates(pd.Series(list(partitions), dtype="object")).drop_duplicates().sort_values()
    today = pd.Timestamp(pd.Timestamp(as_of).tz_convert("UTC").date())
    if days.empty:
        return False, "no daily partition has been materialized"
    expected = pd.date_range(days.iloc[0], days.iloc[-1], freq="D")
    gaps = expected.difference(pd.DatetimeIndex(days))
    lag = (today - days.iloc[-1]).days
    problems = []
    if lag > max_lag_days:
        problems.append(
            f"latest partition {days.iloc[-1].date()} is {lag} days behind {today.date()} "
            f"(allowed {max_lag_days})"
        )
    if len(gaps):
        problems.append(f"missing partition(s): {_listing(g.date() for g in gaps)}")
    if problems:
        return False, "; ".join(problems)
    return True, f"{len(days)} daily partitions up to {days.iloc[-1].date()}, none missing"


def check_event_coverage(
    coverage: pd.DataFrame, as_of: pd.Timestamp, idle_days: int
) -> CheckResult:
    """The synced events cover the idle window before `as_of`; otherwise the seats without
    activity are `unknown`, not idle, and the message names the days to sync."""
    missing = missing_event_days(coverage, as_of, idle_days)
    if len(missing):
        return False, (
            f"events of {len(missing)} day(s) of the {idle_days}-day idle window before "
            f"{as_of:%Y-%m-%d} were never synced (or only before the day ended): "
            f"{describe_days(missing)}; seats without activity are `unknown`, not idle, until "
            "these days are synced"
        )
    return True, f"the synced events cover the {idle_days}-day idle window before {as_of:%Y-%m-%d}"
