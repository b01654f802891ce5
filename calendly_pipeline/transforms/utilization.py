"""Seat utilization (architecture §4): who holds a seat, when they last did anything, what it costs.

The Calendly API has no last-login field, so activity is derived from what members do. All rules
live in `_seats`; `seat_utilization` applies them at `as_of` and `seat_history` re-applies them at
every month end, so the dashboard's "change since last month" can never disagree with today.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calendly_pipeline.schema.analytics_tables import SEAT_HISTORY, SEAT_UTILIZATION
from calendly_pipeline.schema.spec import frame_dtypes
from calendly_pipeline.transforms._frames import (
    DAY,
    Frames,
    as_utc_timestamp,
    dates,
    month_cutoff,
    month_ends,
    naive_us,
    require,
    utc,
    whole_days,
)
from calendly_pipeline.transforms.coverage import describe_days, missing_event_days
from calendly_pipeline.transforms.features import CATALOGUE
from calendly_pipeline.transforms.removals import logged_removals
from calendly_pipeline.transforms.summary import (
    HOST_ACTIONS,
    MEETING_SOURCES,
    EventSummary,
    latest_per_month,
    summarize_all,
)
from calendly_pipeline.transforms.utilization_config import UtilizationConfig

SEAT_COLUMNS = SEAT_UTILIZATION.column_names
SEAT_HISTORY_COLUMNS = SEAT_HISTORY.column_names
STATUSES = ("active", "idle", "unknown", "new", "pending", "removed")
ASSIGNED = ("active", "idle", "unknown", "new")  # seats someone holds: `seats_assigned`
PASSIVE_ONLY_REASON = "used only passively"  # the start of the passive-only `review` reason
_PERSON = ["seat_id", "user_uri", "name", "email", "role", "joined_at"]
_FEATURE_ORDER = {f.key: i for i, f in enumerate(CATALOGUE)}
_PAID_KEYS = [f.key for f in CATALOGUE if f.paid]


@dataclass(frozen=True)
class SeatInputs:
    """Raw frames reduced once to what the seat rules read, so month-end replays stay cheap."""

    plan: str | None  # as served: a plan this code does not know is kept (`known_plan`)
    memberships: pd.DataFrame  # _PERSON
    snapshots: pd.DataFrame  # snapshot_date + _PERSON
    invitations: pd.DataFrame  # pending only: seat_id, email, joined_at (= invited at)
    groups: dict[str, list[str]]  # owner (membership or invitation URI) -> sorted group names
    signals: pd.DataFrame  # user_uri, source, priority, ts: latest per user, source and month
    meetings: pd.DataFrame  # summary.MEETING_COLUMNS: meetings held per month-end cutoff
    first_use: pd.DataFrame  # user_uri, feature, first_used_at (member-level features)
    # removals.REMOVAL_COLUMNS: members no snapshot held whose removal the activity log records
    logged_removals: pd.DataFrame
    # meta.event_coverage (`day`, `synced_at`): days of events the sync read; None = every
    # event is at hand
    coverage: pd.DataFrame | None = None


def organization_plan(frames: Frames) -> str | None:
    """The plan as served (None if missing); an unknown one is kept, see `known_plan`."""
    orgs = require(frames, "organizations", ["uri", "plan"])
    if len(orgs) != 1:
        raise ValueError(f"raw.organizations must hold exactly one row (got {len(orgs)})")
    plan = orgs["plan"].iloc[0]
    return None if pd.isna(plan) else str(plan)


EDIT_NAMESPACE = "EventType"  # activity-log entries about event types: edits by their actor


def _signals(frames: Frames, summary: EventSummary, as_of: pd.Timestamp) -> pd.DataFrame:
    """The summary's meeting signals plus event-type edits and activity-log entries.

    Where the activity log was synced (any entry), it names who edited an event type: entries
    in namespace `EventType` are `event_type_edit`s of their actor (an admin editing a managed
    type is the admin's activity, not the owner's). Without it, `updated_at` is all there is,
    credited to the type's owner. Entries without an actor (system entries) are nobody's."""
    log = require(frames, "activity_log_entries", ["actor_uri", "occurred_at", "namespace"])
    acted = log[log["actor_uri"].notna()]
    is_edit = acted["namespace"].eq(EDIT_NAMESPACE).fillna(False).to_numpy(dtype=bool)
    edits = acted[is_edit].rename(columns={"actor_uri": "user", "occurred_at": "at"})
    if log.empty:
        types = require(frames, "event_types", ["profile_type", "profile_owner", "updated_at"])
        owned = types["profile_type"].eq("User").fillna(False) & types["profile_owner"].notna()
        edits = types[owned].rename(columns={"profile_owner": "user", "updated_at": "at"})
    others = acted[~is_edit].rename(columns={"actor_uri": "user", "occurred_at": "at"})
    parts = [summary.signals] + [
        latest_per_month(rows["user"].to_numpy(dtype=object), naive_us(rows["at"]), source, as_of)
        for rows, source in ((edits, "event_type_edit"), (others, "activity_log"))
    ]
    return pd.concat(parts, ignore_index=True).astype({"user_uri": "str", "source": "str"})


def _groups(frames: Frames) -> dict[str, list[str]]:
    rel = require(frames, "group_relationships", ["owner_uri", "group_uri"])
    grp = require(frames, "groups", ["uri", "name"])
    named = rel[["owner_uri", "group_uri"]].merge(
        grp[["uri", "name"]].drop_duplicates("uri").rename(columns={"uri": "group_uri"}),
        on="group_uri",
    )
    named = (
        named[["owner_uri", "name"]].dropna().drop_duplicates().sort_values(["owner_uri", "name"])
    )
    return named.groupby("owner_uri", sort=False)["name"].agg(list).to_dict()


def prepare_seat_inputs(
    frames: Frames, summary: EventSummary, config: UtilizationConfig, as_of: pd.Timestamp
) -> SeatInputs:
    """The small raw frames and the events' `summary` (from `transforms.summary`), reduced
    once to what the seat rules read."""
    as_of = as_utc_timestamp(as_of)
    m = require(
        frames,
        "organization_memberships",
        ["uri", "user_uri", "user_name", "user_email", "role", "created_at"],
    )
    memberships = pd.DataFrame(
        {
            "seat_id": m["uri"],
            "user_uri": m["user_uri"],
            "name": m["user_name"],
            "email": m["user_email"],
            "role": m["role"],
            "joined_at": utc(m["created_at"]),
        }
    )
    s = require(
        frames,
        "membership_snapshots",
        [
            "snapshot_date",
            "membership_uri",
            "user_uri",
            "user_name",
            "user_email",
            "role",
            "joined_at",
        ],
    )
    snapshots = pd.DataFrame(
        {
            "snapshot_date": dates(s["snapshot_date"]),
            "seat_id": s["membership_uri"],
            "user_uri": s["user_uri"],
            "name": s["user_name"],
            "email": s["user_email"],
            "role": s["role"],
            "joined_at": utc(s["joined_at"]),
        }
    )
    inv = require(frames, "organization_invitations", ["uri", "email", "status", "created_at"])
    inv = inv[inv["status"].eq("pending").fillna(False)]
    invitations = pd.DataFrame(
        {"seat_id": inv["uri"], "email": inv["email"], "joined_at": utc(inv["created_at"])}
    )
    member_keys = [f.key for f in CATALOGUE if f.level == "member"]
    uses = summary.uses
    first_use = (
        uses[uses["feature"].isin(member_keys)]
        .groupby(["user_uri", "feature"], as_index=False)["first_used_at"]
        .min()
    )
    return SeatInputs(
        plan=organization_plan(frames),
        memberships=memberships,
        snapshots=snapshots,
        invitations=invitations,
        groups=_groups(frames),
        signals=_signals(frames, summary, as_of),
        meetings=summary.meetings,
        first_use=first_use,
        logged_removals=logged_removals(frames, config),
        coverage=frames.get("event_coverage"),
    )


def _last_activity(signals: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Latest signal per user at `as_of`, ties broken by SOURCE_PRIORITY."""
    best = signals[signals["ts"] <= as_of].sort_values(
        ["user_uri", "ts", "priority"], ascending=[True, False, True]
    )
    best = best.drop_duplicates("user_uri")
    return best.rename(columns={"ts": "last_active_at", "source": "activity_source"})[
        ["user_uri", "last_active_at", "activity_source"]
    ]


def _meetings_since(inputs: SeatInputs, cutoff: pd.Timestamp, days: int) -> pd.Series:
    """Non-canceled hosted events per user that started in the `days` up to `cutoff`, one of
    the month-end cutoffs the summary counted (a user it lacks held none)."""
    rows = inputs.meetings[inputs.meetings["cutoff"] == cutoff]
    return pd.Series(rows[f"meetings_{days}d"].to_numpy(), index=rows["user_uri"].to_numpy(object))


def _roster_at(inputs: SeatInputs, cutoff: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    """Who held a membership at `cutoff`: the current roster at `as_of`; earlier, current members
    who had joined plus members of the latest snapshot taken by then (removed since)."""
    current = inputs.memberships[inputs.memberships["joined_at"] <= cutoff]
    if cutoff >= as_of:
        return current
    taken = inputs.snapshots[inputs.snapshots["snapshot_date"] <= cutoff.tz_localize(None)]
    if taken.empty:
        return current
    latest = taken[taken["snapshot_date"] == taken["snapshot_date"].max()]
    gone = latest[~latest["user_uri"].isin(current["user_uri"])]
    return pd.concat([current, gone[_PERSON]], ignore_index=True)


def _seats(
    inputs: SeatInputs,
    config: UtilizationConfig,
    as_of: pd.Timestamp,
    roster: pd.DataFrame,
) -> pd.DataFrame:
    """The §4 rules for one instant; the only place a seat's status or cost is decided."""
    snaps = inputs.snapshots[inputs.snapshots["snapshot_date"] <= as_of.tz_localize(None)]
    removed = (
        snaps.sort_values("snapshot_date")
        .drop_duplicates("user_uri", keep="last")
        .loc[lambda d: ~d["user_uri"].isin(roster["user_uri"])]
    )
    logged = inputs.logged_removals
    logged = logged[
        (logged["removed_at"] <= as_of)
        & ~logged["user_uri"].isin(pd.concat([roster["user_uri"], removed["user_uri"]]))
        & ~logged["email"].isin(roster["email"].str.lower())
    ]
    invites = inputs.invitations[inputs.invitations["joined_at"] <= as_of]
    seats = pd.concat(
        [
            roster[_PERSON].assign(seat_type="member", removed=False),
            removed[_PERSON].assign(
                seat_type="member", removed=True, removal_source="roster_snapshot"
            ),
            logged.assign(seat_type="member", removed=True, removal_source="activity_log"),
            invites.assign(seat_type="invitation", removed=False),
        ],
        ignore_index=True,
    )
    seats = seats.merge(_last_activity(inputs.signals, as_of), on="user_uri", how="left")
    host = inputs.signals[inputs.signals["source"].isin(HOST_ACTIONS)]
    seats = seats.merge(
        _last_activity(host, as_of)[["user_uri", "last_active_at"]].rename(
            columns={"last_active_at": "last_host_action_at"}
        ),
        on="user_uri",
        how="left",
    )
    seats["activity_source"] = seats["activity_source"].fillna("none").astype("str")
    for column in ("last_active_at", "last_host_action_at", "joined_at", "removed_at"):
        seats[column] = seats[column].astype("datetime64[us, UTC]")
    basis = "last_active_at" if config.passive_counts_as_active else "last_host_action_at"
    days = whole_days(as_of - seats[basis])
    host_days = whole_days(as_of - seats["last_host_action_at"])
    pending = seats["seat_type"].eq("invitation")
    removed_flag = seats["removed"].astype(bool)
    missing = missing_event_days(inputs.coverage, as_of, config.idle_days)
    status = np.select(
        [
            removed_flag,
            pending,
            days.le(config.idle_days).fillna(False).to_numpy(bool),
            (seats["joined_at"] > as_of - config.grace_days * DAY).to_numpy(bool),
            np.full(len(seats), len(missing) > 0),
        ],
        ["removed", "pending", "active", "new", "unknown"],
        "idle",
    )
    first_use = inputs.first_use[inputs.first_use["first_used_at"] <= as_of]
    first_use = first_use.assign(order=first_use["feature"].map(_FEATURE_ORDER)).sort_values(
        ["user_uri", "order"]
    )
    used = _lists(first_use)
    paid = _lists(first_use[first_use["feature"].isin(_PAID_KEYS)])
    email = seats["email"].astype("str")
    excluded = email.str.strip().str.lower().isin(config.excluded_emails).to_numpy(bool)
    users = seats["user_uri"].astype("str")
    out = pd.DataFrame(
        {
            "seat_id": seats["seat_id"].astype("str"),
            "seat_type": seats["seat_type"].astype("str"),
            "user_uri": users,
            "name": seats["name"].astype("str"),
            "email": email,
            "role": seats["role"].astype("str"),
            "group_names": [list(inputs.groups.get(k, [])) for k in seats["seat_id"]],
            "joined_at": seats["joined_at"],
            "last_active_at": seats["last_active_at"],
            "last_host_action_at": seats["last_host_action_at"],
            "activity_source": seats["activity_source"],
            "days_since_active": days,
            "meetings_hosted_30d": users.map(_meetings_since(inputs, as_of, 30)).fillna(0),
            "meetings_hosted_90d": users.map(_meetings_since(inputs, as_of, 90)).fillna(0),
            "status": pd.Series(status, dtype="str"),
            "removed_at": seats["removed_at"],
            "removal_source": seats["removal_source"].astype("str"),
            "excluded": excluded,
            "features_used": [list(used.get(u, [])) for u in users],
            "paid_features_used": [list(paid.get(u, [])) for u in users],
            "monthly_cost": np.where(status == "removed", 0.0, _seat_price(config, inputs.plan)),
        }
    ).astype({"meetings_hosted_30d": "int64", "meetings_hosted_90d": "int64"})
    passive_only = ~host_days.le(config.idle_days).fillna(False).to_numpy(bool)
    out["recommendation"], out["reason"] = _recommend(
        out.assign(passive_only=passive_only), config, as_of, missing
    )
    out["as_of"] = pd.Series(as_of, index=out.index).astype("datetime64[us, UTC]")
    order = pd.Categorical(out["status"], categories=list(STATUSES), ordered=True)
    return (
        out.assign(_o=order).sort_values(["_o", "email", "seat_id"]).drop(columns="_o")
    ).reset_index(drop=True)[SEAT_COLUMNS]


def _seat_price(config: UtilizationConfig, plan: str | None) -> float:
    """The seat price, NaN (NULL in DuckDB) when an unknown plan has no configured price."""
    price = config.price(plan)
    return np.nan if price is None else price


def _lists(first_use: pd.DataFrame) -> dict[str, list[str]]:
    """Features per user, in row order (a loop over user-feature pairs, not over events)."""
    out: dict[str, list[str]] = {}
    for user, feature in zip(
        first_use["user_uri"].tolist(), first_use["feature"].tolist(), strict=True
    ):
        out.setdefault(user, []).append(feature)
    return out


def _recommend(
    seats: pd.DataFrame,
    config: UtilizationConfig,
    as_of: pd.Timestamp,
    missing: pd.DatetimeIndex,
) -> tuple[pd.Series, pd.Series]:
    """keep / review / reclaim and the reason for it; removed seats need nothing (null). A seat
    whose idle window the sync did not cover (`unknown`) is never reclaimed: it is reviewed.
    Calendly bills one plan per organization, so plan advice is `transforms.plans`, not here."""
    status = seats["status"]
    active = status.eq("active")
    near_idle = active & seats["days_since_active"].gt(
        config.idle_days - config.review_margin_days
    ).fillna(False)
    no_meeting = active & seats["activity_source"].isin(["activity_log", "event_type_edit"])
    stale_invite = status.eq("pending") & (seats["joined_at"] <= as_of - config.grace_days * DAY)
    idle_reason = (
        f"no activity for more than {config.idle_days} days"
        if config.passive_counts_as_active
        else f"no host action for more than {config.idle_days} days (passive_counts_as_active "
        "is false: bookings by invitees do not count)"
    )
    rules = [
        (status.eq("removed"), "", ""),
        (seats["excluded"], "review", "on the excluded list (service account)"),
        (stale_invite, "reclaim", f"invitation pending more than {config.grace_days} days"),
        (status.eq("idle"), "reclaim", idle_reason),
        (
            status.eq("unknown"),
            "review",
            f"no activity in the synced days of the idle window, but the events of "
            f"{len(missing)} of its days were never synced: {describe_days(missing)}",
        ),
        (
            active & seats["passive_only"],
            "review",
            f"{PASSIVE_ONLY_REASON} in the last {config.idle_days} days: invitees booked the "
            "member's link, the member took no action (no meeting held, no cancellation, edit or "
            "activity-log entry)",
        ),
        (
            near_idle,
            "review",
            f"active, within review_margin_days ({config.review_margin_days}) of the idle "
            "threshold",
        ),
        (no_meeting, "review", "active only through event-type edits or the activity log"),
        (status.eq("new"), "review", f"joined within grace_days ({config.grace_days})"),
        (status.eq("pending"), "review", f"invited within grace_days ({config.grace_days})"),
    ]
    conditions = [mask.to_numpy(bool) for mask, _, _ in rules]
    choice = np.select(conditions, [r for _, r, _ in rules], "keep")
    reason = np.select(conditions, [w for _, _, w in rules], "active, with a recent meeting")

    def column(values: np.ndarray) -> pd.Series:
        return pd.Series(values, index=seats.index, dtype="str").replace("", pd.NA)

    return column(choice), column(reason)


def seats_at(
    inputs: SeatInputs, config: UtilizationConfig, cutoff: pd.Timestamp, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Seat rows as the rules saw them at `cutoff` (<= `as_of`, the sync's clock)."""
    return _seats(inputs, config, cutoff, _roster_at(inputs, cutoff, as_of))


def seat_utilization(
    frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp
) -> pd.DataFrame:
    """`analytics.seat_utilization`: one row per seat at `as_of`."""
    as_of = as_utc_timestamp(as_of)
    inputs = prepare_seat_inputs(frames, summarize_all(frames, config, as_of), config, as_of)
    return seats_at(inputs, config, as_of, as_of)


def history_month_ends(
    inputs: SeatInputs, as_of: pd.Timestamp
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(month end, cutoff) pairs from the first month with a meeting up to `as_of`'s month."""
    meetings = inputs.signals.loc[inputs.signals["source"].isin(MEETING_SOURCES), "ts"]
    start = meetings.min() if len(meetings) else as_of
    return [
        (m, month_cutoff(m, as_of))
        for m in month_ends(start.tz_localize(None), as_of.tz_localize(None))
    ]


def seats_by_month(
    inputs: SeatInputs, config: UtilizationConfig, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Seat rows re-computed at every month end (column `month`); the last month is `as_of`'s,
    so its rows equal `seat_utilization`."""
    return pd.concat(
        [
            seats_at(inputs, config, cutoff, as_of).assign(month=month_end)
            for month_end, cutoff in history_month_ends(inputs, as_of)
        ],
        ignore_index=True,
    ).astype({"month": "datetime64[us]"})


def history_counts(monthly: pd.DataFrame) -> pd.DataFrame:
    """`analytics.seat_history` rows from `seats_by_month`."""
    counts = pd.crosstab(monthly["month"], monthly["status"]).reindex(
        columns=list(STATUSES), fill_value=0
    )
    idle = monthly[monthly["status"].eq("idle") & ~monthly["excluded"]]
    out = counts.assign(
        seats_assigned=counts[list(ASSIGNED)].sum(axis=1),
        idle_monthly_cost=idle.groupby("month")["monthly_cost"].sum(),
    ).fillna({"idle_monthly_cost": 0.0})
    out = out.rename_axis(index="month", columns=None).reset_index()
    return out.astype(frame_dtypes(SEAT_HISTORY))[SEAT_HISTORY_COLUMNS]


def seat_history(frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp) -> pd.DataFrame:
    """`analytics.seat_history`: month-end status counts and the idle seats' monthly cost."""
    as_of = as_utc_timestamp(as_of)
    inputs = prepare_seat_inputs(frames, summarize_all(frames, config, as_of), config, as_of)
    return history_counts(seats_by_month(inputs, config, as_of))
