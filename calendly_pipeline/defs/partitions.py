"""Daily partitions of scheduled events by start time (UTC) and the daily re-read window."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from calendly_pipeline.settings import SyncWindowSettings

WINDOW = SyncWindowSettings.from_env()

# end_offset reaches `forward_days` past today, so upcoming meetings have partitions to land in.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=WINDOW.start_date.isoformat(),
    end_offset=WINDOW.forward_days + 1,
    timezone="UTC",
)


def daily_window(today: date, settings: SyncWindowSettings = WINDOW) -> tuple[str, str]:
    """First and last partition key a daily run re-reads: trailing days back, forward days ahead."""
    first = max(today - timedelta(days=settings.trailing_days), settings.start_date)
    last = today + timedelta(days=settings.forward_days)
    return first.isoformat(), last.isoformat()


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run cover a whole range of partitions."""
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }
