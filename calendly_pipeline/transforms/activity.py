"""Meeting outcomes per event, per member-day and per event type.

Each live event gets exactly one outcome. A canceled event is never a no-show, whatever its
invitees' no-show marks say: tools that call every late host cancellation a no-show blame invitees
for the host's decision. An event whose status the API documents neither as `active` nor as
`canceled` (a value added after this code, or none) is `unknown_status`: counted apart, never
guessed into a known outcome.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from calendly_pipeline.schema.analytics_tables import DAILY_ACTIVITY, EVENT_TYPE_USAGE
from calendly_pipeline.schema.spec import frame_dtypes
from calendly_pipeline.transforms._frames import (
    Frames,
    Hosted,
    as_utc_timestamp,
    hosted,
    is_true,
    live,
    require,
    utc,
)
from calendly_pipeline.transforms.features import MODEL_ENUMS

OUTCOMES = (
    "completed", "canceled_by_host", "canceled_by_invitee", "canceled_other", "no_show",
    "rescheduled", "upcoming", "unknown_status",
)  # fmt: skip
# `Event.status` values the spec lists; any other is kept as served and counted apart.
EVENT_STATUSES = MODEL_ENUMS["scheduled_events", "status"]
DAILY_ACTIVITY_COLUMNS = DAILY_ACTIVITY.column_names
EVENT_TYPE_USAGE_COLUMNS = EVENT_TYPE_USAGE.column_names


EVENT_COLUMNS = ["status", "start_time", "event_type", "canceler_type"]
OUTCOME_INVITEE_COLUMNS = ["event_uri", "status", "rescheduled", "no_show_uri", "deleted_at"]


def outcomes_of(frames: Frames, h: Hosted, as_of: pd.Timestamp) -> pd.DataFrame:
    """Outcome and active invitees of each event in `h.events` (same positions)."""
    as_of = as_utc_timestamp(as_of)
    events = h.events
    invitees = live(require(frames, "invitees", OUTCOME_INVITEE_COLUMNS))
    pos = pd.Index(events["uri"]).get_indexer(invitees["event_uri"])
    known = pos >= 0
    active = invitees["status"].eq("active").fillna(False).to_numpy(dtype=bool) & known
    no_show = active & invitees["no_show_uri"].notna().to_numpy(dtype=bool)
    rescheduled = is_true(invitees["rescheduled"]).to_numpy(dtype=bool) & known
    n = len(events)
    n_active = np.bincount(pos[active], minlength=n)
    n_no_show = np.bincount(pos[no_show], minlength=n)
    any_rescheduled = np.bincount(pos[rescheduled], minlength=n) > 0
    start = utc(events["start_time"])
    canceled = events["status"].eq("canceled").fillna(False).to_numpy(dtype=bool)
    unknown = ~events["status"].isin(EVENT_STATUSES).to_numpy(dtype=bool)
    canceler = events["canceler_type"]
    code = {name: i for i, name in enumerate(OUTCOMES)}
    outcome = np.select(
        [
            canceled & any_rescheduled,
            canceled & canceler.eq("host").fillna(False).to_numpy(dtype=bool),
            canceled & canceler.eq("invitee").fillna(False).to_numpy(dtype=bool),
            canceled,
            unknown,
            (start > as_of).to_numpy(dtype=bool),
            (n_active > 0) & (n_no_show == n_active),
        ],
        [code["rescheduled"], code["canceled_by_host"], code["canceled_by_invitee"],
         code["canceled_other"], code["unknown_status"], code["upcoming"], code["no_show"]],
        code["completed"],
    )  # fmt: skip
    return pd.DataFrame(
        {
            "event_uri": events["uri"].astype("str"),
            "event_type": events["event_type"].astype("str"),
            "start_time": start,
            "outcome": pd.Categorical.from_codes(outcome, categories=list(OUTCOMES)),
            "active_invitees": n_active.astype("int64"),
        }
    )


def event_outcomes(frames: Frames, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per live event: `event_uri, event_type, start_time, outcome, active_invitees`.

    Outcomes: canceled with a rescheduled invitee -> `rescheduled`; other cancellations by
    `canceler_type` (`canceled_other` when it is missing); a status outside EVENT_STATUSES ->
    `unknown_status`; not canceled and not started -> `upcoming`; started and every active
    invitee marked no-show -> `no_show`; else `completed`.
    """
    return outcomes_of(frames, hosted(frames, EVENT_COLUMNS), as_of)


def outcome_counts(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per-key event counts for every outcome (a column per outcome, zeros included): sums, so
    the counts of separate chunks of events add up."""
    return (
        df.groupby([*keys, "outcome"], observed=False)
        .size()
        .unstack("outcome")
        .reindex(columns=list(OUTCOMES), fill_value=0)
        .rename_axis(columns=None)
    )


def host_daily_activity(
    outcomes: pd.DataFrame,
    h: Hosted,
    start: date | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """`daily_activity` rows from `outcomes_of` output and the host pairs of the same `h`."""
    per_host = pd.DataFrame(
        {
            "activity_date": outcomes["start_time"]
            .dt.tz_localize(None)
            .dt.normalize()
            .to_numpy()[h.event_pos],
            "user_uri": h.user,
            "outcome": outcomes["outcome"].to_numpy()[h.event_pos],
            "active_invitees": outcomes["active_invitees"].to_numpy()[h.event_pos],
        }
    )
    if start is not None:
        per_host = per_host[per_host["activity_date"] >= pd.Timestamp(start)]
    if end is not None:
        per_host = per_host[per_host["activity_date"] <= pd.Timestamp(end)]
    keys = ["activity_date", "user_uri"]
    grouped = per_host.groupby(keys, observed=True)
    counts = (
        per_host.groupby([*keys, "outcome"], observed=True)
        .size()
        .unstack("outcome", fill_value=0)
        .reindex(columns=list(OUTCOMES), fill_value=0)
        .rename_axis(columns=None)
    )
    out = counts.assign(
        scheduled=counts.sum(axis=1),
        invitee_bookings=grouped["active_invitees"].sum(),
    ).reset_index()
    return out.astype(frame_dtypes(DAILY_ACTIVITY))[DAILY_ACTIVITY_COLUMNS]


def daily_activity(
    frames: Frames,
    as_of: pd.Timestamp,
    start: date | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """`analytics.daily_activity`: per host and UTC start day, events by outcome (a collective
    event counts once for each host) and `invitee_bookings`, the active invitees of those events
    (a group event with 12 attendees adds 1 to `scheduled` and 12 here). `start`/`end` (inclusive)
    limit the days, for daily partitions."""
    h = hosted(frames, EVENT_COLUMNS)
    return host_daily_activity(outcomes_of(frames, h, as_of), h, start, end)


def event_type_usage(frames: Frames, as_of: pd.Timestamp) -> pd.DataFrame:
    """`analytics.event_type_usage`: one row per event type (booked or not).

    `bookings` = events not superseded by a reschedule (a chain A -> B -> C is one booking);
    `canceled` = host or invitee cancellations; `no_show_rate` is over events that took place.
    """
    return type_usage(frames, outcome_counts(event_outcomes(frames, as_of), ["event_type"]))


def type_usage(frames: Frames, counts: pd.DataFrame) -> pd.DataFrame:
    """`event_type_usage` rows from `outcome_counts(outcomes, ["event_type"])`."""
    types = require(
        frames, "event_types", ["uri", "name", "kind", "pooling_type", "profile_name"]
    ).drop_duplicates("uri")
    uris = pd.Index(types["uri"].astype("str")).union(counts.index.astype("str"))
    counts = counts.reindex(uris, fill_value=0)
    bookings = counts.drop(columns="rescheduled").sum(axis=1)
    canceled = counts[["canceled_by_host", "canceled_by_invitee", "canceled_other"]].sum(axis=1)
    took_place = counts["completed"] + counts["no_show"]
    out = pd.DataFrame(
        {
            "event_type_uri": uris,
            "bookings": bookings.to_numpy(),
            "canceled": canceled.to_numpy(),
            "no_shows": counts["no_show"].to_numpy(),
            "cancellation_rate": (canceled / bookings.where(bookings > 0)).to_numpy(),
            "no_show_rate": (counts["no_show"] / took_place.where(took_place > 0)).to_numpy(),
        }
    ).merge(
        types.rename(columns={"uri": "event_type_uri", "profile_name": "owner_name"}),
        on="event_type_uri",
        how="left",
    )
    return out.astype(frame_dtypes(EVENT_TYPE_USAGE))[EVENT_TYPE_USAGE_COLUMNS]
