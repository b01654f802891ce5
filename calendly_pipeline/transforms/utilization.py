"""Seat utilization (architecture §4): who holds a seat, when they last did anything, what it costs.

The Calendly API has no last-login field, so activity is derived from what members do. All rules
live in `_seats`; `seat_utilization` applies them at `as_of` and `seat_history` re-applies them at
every month end, so the dashboard's "change since last month" can never disagree with today.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calendly_pipeline.transforms._frames import (
    DAY,
    Frames,
    as_utc_timestamp,
    dates,
    live,
    month_cutoff,
    month_ends,
    require,
    utc,
    whole_days,
)
from calendly_pipeline.transforms.config import UtilizationConfig
from calendly_pipeline.transforms.features import (
    CATALOGUE,
    FREE_PLAN,
    feature_uses,
    plan_rank,
)

SEAT_COLUMNS = [
    "seat_id", "seat_type", "user_uri", "name", "email", "role", "group_names", "joined_at",
    "last_active_at", "activity_source", "days_since_active", "meetings_hosted_30d",
    "meetings_hosted_90d", "status", "excluded", "features_used", "paid_features_used",
    "monthly_cost", "recommendation", "as_of",
]  # fmt: skip
SEAT_HISTORY_COLUMNS = [
    "month", "seats_assigned", "active", "idle", "new", "pending", "removed", "idle_monthly_cost",
]  # fmt: skip
STATUSES = ("active", "idle", "new", "pending", "removed")
# Tie-break order when two signals share the latest timestamp (architecture §4).
SOURCE_PRIORITY = {"meeting": 0, "activity_log": 1, "event_type_edit": 2}
_PERSON = ["seat_id", "user_uri", "name", "email", "role", "joined_at"]
_FEATURE_ORDER = {f.key: i for i, f in enumerate(CATALOGUE)}
_PAID_KEYS = [f.key for f in CATALOGUE if f.paid]


@dataclass(frozen=True)
class SeatInputs:
    """Raw frames reduced once to what the seat rules read, so month-end replays stay cheap."""

    plan: str
    memberships: pd.DataFrame  # _PERSON
    snapshots: pd.DataFrame  # snapshot_date + _PERSON
    invitations: pd.DataFrame  # pending only: seat_id, email, joined_at (= invited at)
    groups: pd.DataFrame  # owner_uri, group_name
    signals: pd.DataFrame  # user_uri, source, priority, ts
    hosted: pd.DataFrame  # user_uri, start_time of live, non-canceled hosted events
    first_use: pd.DataFrame  # user_uri, feature, first_used_at (member-level features)


def organization_plan(frames: Frames) -> str:
    orgs = require(frames, "organizations", ["uri", "plan"])
    if len(orgs) != 1:
        raise ValueError(f"raw.organizations must hold exactly one row (got {len(orgs)})")
    plan = str(orgs["plan"].iloc[0])
    plan_rank(plan)
    return plan


def hosted_events(frames: Frames) -> pd.DataFrame:
    """One row per (live event, host): the base of meeting signals and meeting counts."""
    events = live(
        require(
            frames, "scheduled_events", ["uri", "status", "start_time", "created_at", "deleted_at"]
        )
    )
    hosts = require(frames, "event_hosts", ["event_uri", "user_uri"])
    out = (
        hosts[["event_uri", "user_uri"]]
        .drop_duplicates()
        .merge(
            events[["uri", "status", "start_time", "created_at"]].rename(
                columns={"uri": "event_uri"}
            ),
            on="event_uri",
        )
    )
    return out.assign(start_time=utc(out["start_time"]), created_at=utc(out["created_at"]))


def _signals(frames: Frames, hosted: pd.DataFrame) -> pd.DataFrame:
    types = require(frames, "event_types", ["profile_type", "profile_owner", "updated_at"])
    owned = types[types["profile_type"].eq("User").fillna(False) & types["profile_owner"].notna()]
    log = require(frames, "activity_log_entries", ["actor_uri", "occurred_at"])
    parts = [
        ("meeting", hosted["user_uri"], hosted["created_at"]),
        ("meeting", hosted["user_uri"], hosted["start_time"]),
        ("event_type_edit", owned["profile_owner"], utc(owned["updated_at"])),
        ("activity_log", log["actor_uri"], utc(log["occurred_at"])),
    ]
    out = pd.concat(
        [
            pd.DataFrame({"user_uri": u.to_numpy(dtype=object), "source": s, "ts": t.to_numpy()})
            for s, u, t in parts
        ],
        ignore_index=True,
    )
    out = out[out["user_uri"].notna() & out["ts"].notna()]
    return out.assign(
        user_uri=out["user_uri"].astype("str"),
        priority=out["source"].map(SOURCE_PRIORITY).astype("int64"),
        ts=out["ts"].astype("datetime64[us, UTC]"),
    )


def prepare_seat_inputs(frames: Frames) -> SeatInputs:
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
    rel = require(frames, "group_relationships", ["owner_uri", "group_uri"])
    grp = require(frames, "groups", ["uri", "name"])
    groups = rel[["owner_uri", "group_uri"]].merge(
        grp[["uri", "name"]].rename(columns={"uri": "group_uri", "name": "group_name"}),
        on="group_uri",
    )[["owner_uri", "group_name"]]
    hosted = hosted_events(frames)
    uses = feature_uses(frames)
    member_keys = [f.key for f in CATALOGUE if f.level == "member"]
    first_use = (
        uses[uses["feature"].isin(member_keys)]
        .groupby(["user_uri", "feature"], as_index=False)["used_at"]
        .min()
        .rename(columns={"used_at": "first_used_at"})
    )
    return SeatInputs(
        plan=organization_plan(frames),
        memberships=memberships,
        snapshots=snapshots,
        invitations=invitations,
        groups=groups,
        signals=_signals(frames, hosted),
        hosted=hosted.loc[hosted["status"].ne("canceled"), ["user_uri", "start_time"]],
        first_use=first_use,
    )


def _last_activity(signals: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Latest signal per user at `as_of`, ties broken by SOURCE_PRIORITY."""
    known = signals[signals["ts"] <= as_of]
    best = known.groupby(["user_uri", "source", "priority"], as_index=False)["ts"].max()
    best = best.sort_values(["user_uri", "ts", "priority"], ascending=[True, False, True])
    best = best.drop_duplicates("user_uri")
    return best.rename(columns={"ts": "last_active_at", "source": "activity_source"})[
        ["user_uri", "last_active_at", "activity_source"]
    ]


def _meetings_since(hosted: pd.DataFrame, as_of: pd.Timestamp, days: int) -> pd.Series:
    window = hosted[(hosted["start_time"] <= as_of) & (hosted["start_time"] > as_of - days * DAY)]
    return window.groupby("user_uri").size()


def _lists(df: pd.DataFrame, key: str, value: str) -> pd.Series:
    """Per-key lists of `value` (already in the wanted order)."""
    return df.groupby(key, sort=False)[value].agg(list)


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
    invites = inputs.invitations[inputs.invitations["joined_at"] <= as_of]
    seats = pd.concat(
        [
            roster[_PERSON].assign(seat_type="member", removed=False),
            removed[_PERSON].assign(seat_type="member", removed=True),
            invites.assign(seat_type="invitation", removed=False),
        ],
        ignore_index=True,
    )
    seats = seats.merge(_last_activity(inputs.signals, as_of), on="user_uri", how="left")
    seats["activity_source"] = seats["activity_source"].fillna("none").astype("str")
    seats["last_active_at"] = seats["last_active_at"].astype("datetime64[us, UTC]")
    seats["joined_at"] = seats["joined_at"].astype("datetime64[us, UTC]")
    days = whole_days(as_of - seats["last_active_at"])
    pending = seats["seat_type"].eq("invitation")
    removed_flag = seats["removed"].astype(bool)
    status = np.select(
        [
            removed_flag,
            pending,
            days.le(config.idle_days).fillna(False).to_numpy(bool),
            (seats["joined_at"] > as_of - config.grace_days * DAY).to_numpy(bool),
        ],
        ["removed", "pending", "active", "new"],
        "idle",
    )
    first_use = inputs.first_use[inputs.first_use["first_used_at"] <= as_of]
    first_use = first_use.assign(order=first_use["feature"].map(_FEATURE_ORDER)).sort_values(
        ["user_uri", "order"]
    )
    used = _lists(first_use, "user_uri", "feature")
    paid = _lists(first_use[first_use["feature"].isin(_PAID_KEYS)], "user_uri", "feature")
    groups = _lists(
        inputs.groups.drop_duplicates().sort_values(["owner_uri", "group_name"]),
        "owner_uri",
        "group_name",
    )

    def listed(lists: pd.Series, keys: pd.Series) -> list[list[str]]:
        return [lists.get(k, []) if isinstance(k, str) else [] for k in keys]

    email = seats["email"].astype("str")
    excluded = email.str.strip().str.lower().isin(config.excluded_emails).to_numpy(bool)
    price = config.price(inputs.plan)
    out = pd.DataFrame(
        {
            "seat_id": seats["seat_id"].astype("str"),
            "seat_type": seats["seat_type"].astype("str"),
            "user_uri": seats["user_uri"].astype("str"),
            "name": seats["name"].astype("str"),
            "email": email,
            "role": seats["role"].astype("str"),
            "group_names": listed(groups, seats["seat_id"]),
            "joined_at": seats["joined_at"],
            "last_active_at": seats["last_active_at"],
            "activity_source": seats["activity_source"],
            "days_since_active": days,
            "meetings_hosted_30d": seats["user_uri"]
            .map(_meetings_since(inputs.hosted, as_of, 30))
            .fillna(0)
            .astype("int64"),
            "meetings_hosted_90d": seats["user_uri"]
            .map(_meetings_since(inputs.hosted, as_of, 90))
            .fillna(0)
            .astype("int64"),
            "status": pd.Series(status, dtype="str"),
            "excluded": excluded,
            "features_used": listed(used, seats["user_uri"]),
            "paid_features_used": listed(paid, seats["user_uri"]),
            "monthly_cost": np.where(status == "removed", 0.0, price),
        }
    )
    out["recommendation"] = _recommend(out, config, inputs.plan, as_of)
    out["as_of"] = pd.Series(as_of, index=out.index).astype("datetime64[us, UTC]")
    order = pd.Categorical(out["status"], categories=list(STATUSES), ordered=True)
    return (
        out.assign(_o=order).sort_values(["_o", "email", "seat_id"]).drop(columns="_o")
    ).reset_index(drop=True)[SEAT_COLUMNS]


def _recommend(
    seats: pd.DataFrame, config: UtilizationConfig, plan: str, as_of: pd.Timestamp
) -> pd.Series:
    """keep / review / reclaim / downgrade; removed seats need nothing (null)."""
    status = seats["status"]
    active = status.eq("active")
    borderline = active & (
        seats["days_since_active"].gt(config.idle_days - config.review_margin_days).fillna(False)
        | seats["activity_source"].ne("meeting")
    )
    free_only = seats["paid_features_used"].map(len).eq(0)
    stale_invite = status.eq("pending") & (seats["joined_at"] <= as_of - config.grace_days * DAY)
    choice = np.select(
        [
            status.eq("removed").to_numpy(bool),
            seats["excluded"].to_numpy(bool),
            stale_invite.to_numpy(bool),
            status.isin(["idle"]).to_numpy(bool),
            (active & free_only & (plan != FREE_PLAN)).to_numpy(bool),
            (borderline | status.isin(["new", "pending"])).to_numpy(bool),
        ],
        ["", "review", "reclaim", "reclaim", "downgrade", "review"],
        "keep",
    )
    return pd.Series(choice, index=seats.index, dtype="str").replace("", pd.NA)


def seat_utilization(
    frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp
) -> pd.DataFrame:
    """`analytics.seat_utilization`: one row per seat at `as_of`."""
    as_of = as_utc_timestamp(as_of)
    inputs = prepare_seat_inputs(frames)
    return _seats(inputs, config, as_of, inputs.memberships)


def history_month_ends(
    inputs: SeatInputs, as_of: pd.Timestamp
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(month end, cutoff) pairs from the first month with a meeting up to `as_of`'s month."""
    meetings = inputs.signals.loc[
        inputs.signals["source"].eq("meeting") & (inputs.signals["ts"] <= as_of), "ts"
    ]
    start = meetings.min() if len(meetings) else as_of
    return [
        (m, month_cutoff(m, as_of))
        for m in month_ends(start.tz_localize(None), as_of.tz_localize(None))
    ]


def seats_by_month(frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp) -> pd.DataFrame:
    """Seat rows re-computed at every month end (column `month`); the last month uses `as_of`."""
    as_of = as_utc_timestamp(as_of)
    inputs = prepare_seat_inputs(frames)
    return pd.concat(
        [
            _seats(inputs, config, cutoff, _roster_at(inputs, cutoff, as_of)).assign(
                month=month_end
            )
            for month_end, cutoff in history_month_ends(inputs, as_of)
        ],
        ignore_index=True,
    ).astype({"month": "datetime64[us]"})


def seat_history(frames: Frames, config: UtilizationConfig, as_of: pd.Timestamp) -> pd.DataFrame:
    """`analytics.seat_history`: month-end status counts and the idle seats' monthly cost."""
    monthly = seats_by_month(frames, config, as_of)
    counts = pd.crosstab(monthly["month"], monthly["status"]).reindex(
        columns=list(STATUSES), fill_value=0
    )
    idle = monthly[monthly["status"].eq("idle") & ~monthly["excluded"]]
    out = counts.assign(
        seats_assigned=counts["active"] + counts["idle"] + counts["new"],
        idle_monthly_cost=idle.groupby("month")["monthly_cost"].sum(),
    ).fillna({"idle_monthly_cost": 0.0})
    out = out.rename_axis(index="month", columns=None).reset_index()
    return out.astype({s: "int64" for s in (*STATUSES, "seats_assigned")})[SEAT_HISTORY_COLUMNS]
