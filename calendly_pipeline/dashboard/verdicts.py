"""The sentences the page owes its reader before any figure (issue 18): which days of events the
figures stand on, how many seats cannot be judged for lack of them, and the plan advice."""

from __future__ import annotations

import pandas as pd

from calendly_pipeline.dashboard.data import DashboardData
from calendly_pipeline.transforms.completeness import COLUMN, INVITEE_FEATURES, complete_back_to
from calendly_pipeline.transforms.coverage import describe_days, missing_event_days
from calendly_pipeline.transforms.features import FEATURES
from calendly_pipeline.transforms.plans import plan_verdict
from calendly_pipeline.transforms.utilization import PASSIVE_ONLY_REASON as PASSIVE


def covered_window(data: DashboardData) -> str:
    """`2025-06-28 to 2026-07-30`, with the holes named; the idle window's missing days too."""
    coverage = data.event_coverage
    if coverage.empty:
        return "no day of events synced yet"
    days = pd.DatetimeIndex(coverage["day"])
    text = f"{days.min():%Y-%m-%d} to {days.max():%Y-%m-%d}"
    holes = pd.date_range(days.min(), days.max(), freq="D", unit="us").difference(days)
    if len(holes):
        text += f", except {describe_days(holes)}"
    idle_days = data.sync_info.get("idle_days")
    if data.as_of is not None and idle_days is not None:
        as_of = pd.Timestamp(data.as_of).tz_convert("UTC")
        missing = missing_event_days(coverage, as_of, int(idle_days))
        if len(missing):
            text += f"; the idle window lacks {len(missing)} day(s): {describe_days(missing)}"
    return text


def unknown_seats(data: DashboardData) -> int:
    """Seats with no activity in the synced data whose idle window was not synced: they are in
    no idle cost, since the page cannot stand behind it."""
    return int(data.seats["status"].eq("unknown").sum())


def passive_only_seats(data: DashboardData) -> int:
    """Active seats whose member took no action in the idle window: only invitees booked their
    link (`reason` of the `review` rule in `transforms.utilization`)."""
    seats = data.seats
    passive = seats["reason"].str.startswith(PASSIVE).fillna(False)
    return int((seats["status"].eq("active") & passive).sum())


def plan_sentence(data: DashboardData) -> str:
    """The organization's plan advice in one sentence (`analytics.plan_options`)."""
    return plan_verdict(data.plan_options, str(data.sync_info.get("currency") or "USD"))


def invitees_complete(data: DashboardData) -> str | None:
    """How far back feature use revealed by invitees is complete while the invitee history is
    still being read (`analytics.feature_adoption.invitees_complete_after`); None once it is."""
    frame = data.feature_adoption
    if COLUMN not in frame or frame[COLUMN].isna().all():
        return None
    labels = ", ".join(f.label for key, f in FEATURES.items() if key in INVITEE_FEATURES)
    return (
        f"complete back to {complete_back_to(frame[COLUMN].max())}; older invitees are still "
        f"being read, so earlier uses of {labels} may be missing"
    )
