"""Daily partitions of scheduled events by start time (UTC) and the daily re-read window."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from calendly_pipeline.settings import FORWARD_DAYS, PARTITIONS_START, Settings


def partitions_for(start: date, forward_days: int) -> dg.DailyPartitionsDefinition:
    """Days from `start` (a fixed date, never "today minus something") to `forward_days` past
    today, so upcoming meetings have partitions to land in."""
    return dg.DailyPartitionsDefinition(
        start_date=start.isoformat(), end_offset=forward_days + 1, timezone="UTC"
    )


def settings_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    """The partitions the loaded definitions give every partitioned asset (`build_defs`)."""
    return partitions_for(settings.partitions_start, settings.forward_days)


# What the event assets are declared with, from the defaults (no setting read at import).
# `build_defs` gives them `settings_partitions(settings)`: ask the loaded definitions (the
# `daily_sync` job) for the partitions, never this object.
daily_partitions = partitions_for(PARTITIONS_START, FORWARD_DAYS)


def daily_window(
    today: date, partitions: dg.TimeWindowPartitionsDefinition, trailing_days: int
) -> tuple[str, str]:
    """First and last partition key a daily run re-reads: `trailing_days` back, forward to the
    last partition of `today` (the forward days ahead, `partitions_for`)."""
    first = max(today - timedelta(days=trailing_days), partitions.start.date())
    last = today + timedelta(days=partitions.end_offset - 1)
    return first.isoformat(), last.isoformat()


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run cover a whole range of partitions."""
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }
