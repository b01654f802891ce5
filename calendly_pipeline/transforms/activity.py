"""Meeting outcomes per event, per member-day and per event type.

Each live event gets exactly one outcome. A canceled event is never a no-show, whatever its
invitees' no-show marks say: tools that call every late host cancellation a no-show blame invitees
for the host's decision.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from calendly_pipeline.transforms._frames import (
    Frames,
    as_utc_timestamp,
    is_true,
    live,
    require,
    utc,
)

OUTCOMES = (
    "completed", "canceled_by_host", "canceled_by_invitee", "canceled_other", "no_show",
    "rescheduled", "upcoming",
)  # fmt: skip
DAILY_ACTIVITY_COLUMNS = [
    "activity_date", "user_uri", "scheduled", "completed", "canceled_by_host",
    "canceled_by_invitee", "no_show", "rescheduled", "invitee_bookings",
]  # fmt: skip
EVENT_TYPE_USAGE_COLUMNS = [
    "event_type_uri", "name", "kind", "pooling_type", "owner_name", "bookings", "canceled",
    "no_shows", "cancellation_rate", "no_show_rate",
]  # fmt: skip


def event_outcomes(frames: Frames, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per live event: `event_uri, event_type, start_time, outcome, active_invitees`.

    Outcomes: canceled with a rescheduled invitee -> `rescheduled`; other cancellations by
    `canceler_type` (`canceled_other` when it is missing); not canceled and not started ->
    `upcoming`; started and every active invitee marked no-show -> `no_show`; else `completed`.
    """
    as_of = as_utc_timestamp(as_of)
    events = live(
        require(
            frames,
            "scheduled_events",
            ["uri", "status", "start_time", "event_type", "canceler_type", "deleted_at"],
        )
    )
    invitees = live(
        require(
            frames, "invitees", ["event_uri", "status", "rescheduled", "no_show_uri", "deleted_at"]
        )
    )
    active = invitees["status"].eq("active").fillna(False)
    per_event = (
        pd.DataFrame(
            {
                "event_uri": invitees["event_uri"],
                "active_invitees": active.astype("int64"),
                "no_show_invitees": (active & invitees["no_show_uri"].notna()).astype("int64"),
                "any_rescheduled": is_true(invitees["rescheduled"]),
            }
        )
        .groupby("event_uri")
        .agg({"active_invitees": "sum", "no_show_invitees": "sum", "any_rescheduled": "any"})
    )
    ev = events.join(per_event, on="uri")
    n_active = ev["active_invitees"].fillna(0).astype("int64")
    n_no_show = ev["no_show_invitees"].fillna(0).astype("int64")
    start = utc(ev["start_time"])
    canceled = ev["status"].eq("canceled").fillna(False)
    outcome = np.select(
        [
            canceled & ev["any_rescheduled"].eq(True).fillna(False),
            canceled & ev["canceler_type"].eq("host").fillna(False),
            canceled & ev["canceler_type"].eq("invitee").fillna(False),
            canceled,
            start > as_of,
            (n_active > 0) & n_no_show.eq(n_active),
        ],
        ["rescheduled", "canceled_by_host", "canceled_by_invitee", "canceled_other", "upcoming",
         "no_show"],
        "completed",
    )  # fmt: skip
    return pd.DataFrame(
        {
            "event_uri": ev["uri"].astype("str"),
            "event_type": ev["event_type"].astype("str"),
            "start_time": start,
            "outcome": pd.Series(outcome, index=ev.index, dtype="str"),
            "active_invitees": n_active,
        }
    ).reset_index(drop=True)


def _outcome_counts(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per-key event counts for every outcome (a column per outcome, zeros included)."""
    return (
        pd.crosstab([df[k] for k in keys], df["outcome"])
        .reindex(columns=list(OUTCOMES), fill_value=0)
        .rename_axis(columns=None)
    )


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
    outcomes = event_outcomes(frames, as_of)
    outcomes = outcomes.assign(
        activity_date=outcomes["start_time"].dt.tz_localize(None).dt.normalize()
    )
    if start is not None:
        outcomes = outcomes[outcomes["activity_date"] >= pd.Timestamp(start)]
    if end is not None:
        outcomes = outcomes[outcomes["activity_date"] <= pd.Timestamp(end)]
    hosts = require(frames, "event_hosts", ["event_uri", "user_uri"])[["event_uri", "user_uri"]]
    per_host = outcomes.merge(hosts.drop_duplicates(), on="event_uri")
    keys = ["activity_date", "user_uri"]
    counts = _outcome_counts(per_host, keys)
    out = counts.assign(
        scheduled=counts.sum(axis=1),
        invitee_bookings=per_host.groupby(keys)["active_invitees"].sum(),
    ).reset_index()
    return out.astype(
        {"activity_date": "datetime64[us]", "user_uri": "str"}
        | {c: "int64" for c in DAILY_ACTIVITY_COLUMNS[2:]}
    )[DAILY_ACTIVITY_COLUMNS]


def event_type_usage(frames: Frames, as_of: pd.Timestamp) -> pd.DataFrame:
    """`analytics.event_type_usage`: one row per event type (booked or not).

    `bookings` = events not superseded by a reschedule (a chain A -> B -> C is one booking);
    `canceled` = host or invitee cancellations; `no_show_rate` is over events that took place.
    """
    types = require(
        frames, "event_types", ["uri", "name", "kind", "pooling_type", "profile_name"]
    ).drop_duplicates("uri")
    outcomes = event_outcomes(frames, as_of)
    counts = _outcome_counts(outcomes, ["event_type"])
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
    return out.astype(
        {
            "event_type_uri": "str",
            "name": "str",
            "kind": "str",
            "pooling_type": "str",
            "owner_name": "str",
            "bookings": "int64",
            "canceled": "int64",
            "no_shows": "int64",
            "cancellation_rate": "float64",
            "no_show_rate": "float64",
        }
    )[EVENT_TYPE_USAGE_COLUMNS]
