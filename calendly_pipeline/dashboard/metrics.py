"""The figures and tables on the page, derived from the analytics tables with plain pandas.

Every number the reader sees is computed here once, so the page, the asset metadata and the tests
agree on what "idle cost" or "seats paid" means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from calendly_pipeline.dashboard.data import DashboardData

RECLAIM_STATUSES = ("idle", "pending")
# `unknown`: held, but the synced events do not cover its idle window (never idle cost).
ASSIGNED_STATUSES = ("active", "idle", "unknown", "new")
STATUS_ORDER = ("active", "new", "idle", "unknown", "pending")
NO_GROUP = "(no group)"
WEEKS_SHOWN = 26
MAX_HEATMAP_MEMBERS = 40


def unique_labels(labels: list[str]) -> list[str]:
    """Plotly merges equal category labels into one bar or column, so number the repeats."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def current_seats(seats: pd.DataFrame) -> pd.DataFrame:
    """Seats the organization pays for today: every row except removed members."""
    return seats.loc[seats["status"] != "removed"]


def reclaim_mask(seats: pd.DataFrame) -> pd.Series:
    """Idle seats and pending invitations: every seat someone should look at."""
    return seats["status"].isin(RECLAIM_STATUSES)


def idle_cost(seats: pd.DataFrame) -> pd.Series:
    """Monthly cost per seat that counts as idle cost: idle, not excluded (as in seat_history)."""
    counted = (seats["status"] == "idle") & ~seats["excluded"].fillna(False).astype(bool)
    return seats["monthly_cost"].fillna(0.0).where(counted, 0.0)


@dataclass(frozen=True)
class Headline:
    seats_paid: int
    seats_assigned: int
    seats_active: int
    seats_new: int
    seats_idle: int
    seats_pending: int
    idle_cost_month: float
    idle_cost_year: float
    # Change since the previous month end, from analytics.seat_history; None without two months.
    previous_month: datetime | None
    change_seats_assigned: int | None
    change_seats_active: int | None
    change_seats_idle: int | None
    change_seats_pending: int | None
    change_idle_cost_month: float | None


def headline(data: DashboardData) -> Headline:
    seats = current_seats(data.seats)
    status = seats["status"]
    monthly = float(idle_cost(seats).sum())
    history = data.seat_history.sort_values("month")
    changes: dict[str, int | float | None] = dict.fromkeys(
        ("seats_assigned", "active", "idle", "pending", "idle_monthly_cost")
    )
    previous = None
    if len(history) >= 2:
        last, prev = history.iloc[-1], history.iloc[-2]
        previous = pd.Timestamp(prev["month"]).to_pydatetime()
        changes = {k: last[k] - prev[k] for k in changes}
    return Headline(
        seats_paid=len(seats),
        seats_assigned=int(status.isin(ASSIGNED_STATUSES).sum()),
        seats_active=int((status == "active").sum()),
        seats_new=int((status == "new").sum()),
        seats_idle=int((status == "idle").sum()),
        seats_pending=int((status == "pending").sum()),
        idle_cost_month=round(monthly, 2),
        idle_cost_year=round(monthly * 12, 2),
        previous_month=previous,
        change_seats_assigned=_opt_int(changes["seats_assigned"]),
        change_seats_active=_opt_int(changes["active"]),
        change_seats_idle=_opt_int(changes["idle"]),
        change_seats_pending=_opt_int(changes["pending"]),
        change_idle_cost_month=(
            None
            if changes["idle_monthly_cost"] is None
            else round(float(changes["idle_monthly_cost"]), 2)
        ),
    )


def _opt_int(value: float | None) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def group_list(names: object) -> list[str]:
    """A seat's groups, sorted; DuckDB lists arrive as arrays, NULL as None or NaN."""
    if names is None or (np.ndim(names) == 0 and pd.isna(names)):
        return []
    return sorted({str(n) for n in names})


def group_label(names: object) -> str:
    """The groups of a seat as one readable cell ('Sales, Support'), or the no-group marker."""
    return ", ".join(group_list(names)) or NO_GROUP


def short_id(uri: object) -> str:
    """The UUID at the end of an API URI (`.../organization_memberships/<uuid>`)."""
    return str(uri).rstrip("/").rsplit("/", 1)[-1]


def reclaim_rows(
    seats: pd.DataFrame, unassigned: int = 0, price: float | None = None
) -> pd.DataFrame:
    """One row per seat to look at, in the table's (and the CSV's) column order: seats never
    active first (the clearest reclaims), then the most expensive and longest idle.

    Seats on the excluded list (service accounts) are never reclaimed, so they are not listed.
    `unassigned` seats, bought under contract but held by nobody, close the list as one row.
    """
    listed = reclaim_mask(seats) & ~seats["excluded"].fillna(False).astype(bool)
    rows = seats.loc[listed]
    pending = rows["status"] == "pending"
    never = rows["last_active_at"].isna() & ~pending
    out = pd.DataFrame(
        {
            "name": rows["name"].fillna(""),
            "email": rows["email"].fillna(""),
            "status": rows["status"],
            "group": rows["group_names"].map(group_label),
            "invited_on": rows["joined_at"].dt.strftime("%Y-%m-%d").where(pending),
            "last_active": rows["last_active_at"].dt.strftime("%Y-%m-%d"),
            "activity_source": rows["activity_source"].fillna("none"),
            "days_idle": rows["days_since_active"].astype("Int64"),
            "monthly_cost": rows["monthly_cost"].fillna(0).astype(float).round(2),
            "recommendation": rows["recommendation"].fillna(""),
            "never_active": never,
            "seat_id": rows["seat_id"].map(short_id),
        }
    )
    out = out.sort_values(
        ["never_active", "monthly_cost", "days_idle", "name"],
        ascending=[False, False, False, True],
        na_position="last",
    ).reset_index(drop=True)
    if unassigned > 0:
        cost = round(unassigned * (price or 0.0), 2)
        extra = {
            "name": f"{unassigned} unassigned seats",
            "email": "",
            "status": "unassigned",
            "group": "",
            "never_active": False,
            "activity_source": "none",
            "monthly_cost": cost,
            "recommendation": "reclaim",
            "seat_id": "unassigned",
        }
        out = pd.concat([out, pd.DataFrame([extra])], ignore_index=True)
    return out


@dataclass(frozen=True)
class Reclaim:
    """The one figure a finance reader acts on: every listed seat, pending ones included."""

    seats: int
    cost_month: float
    cost_year: float

    def sentence(self, money: Callable[..., str]) -> str:
        return (
            f"Reclaim {self.seats:,} seats: {money(self.cost_month)}/month, "
            f"{money(self.cost_year)}/year"
        )


def reclaim_total(rows: pd.DataFrame, unassigned: int = 0) -> Reclaim:
    """The headline figure, from the very rows the list shows, so the two always agree."""
    month = round(float(rows["monthly_cost"].sum()), 2)
    seats = int((rows["status"] != "unassigned").sum()) + max(unassigned, 0)
    return Reclaim(seats, month, round(month * 12, 2))


def unassigned_seats(seats: pd.DataFrame, purchased: int | None) -> int:
    """Seats bought under contract beyond the members and pending invitations (0 if unknown)."""
    return max(0, purchased - len(current_seats(seats))) if purchased is not None else 0


def running_month(data: DashboardData) -> pd.Timestamp | None:
    """The month-end label of the month the sync ran in: not over yet, judged as 'to date'."""
    if data.as_of is None:
        return None
    return pd.Timestamp(data.as_of.date()) + pd.offsets.MonthEnd(0)


def seat_groups(seats: pd.DataFrame) -> pd.DataFrame:
    """One row per (seat, group); seats in no group keep one row under the no-group marker."""
    return seats.assign(
        group=seats["group_names"].map(lambda g: group_list(g) or [NO_GROUP])
    ).explode("group")


def has_groups(seats: pd.DataFrame) -> bool:
    return bool((seat_groups(current_seats(seats))["group"] != NO_GROUP).any())


def group_comparison(data: DashboardData) -> pd.DataFrame:
    """Seats by status, idle cost and recent meetings per group (a seat counts in each group)."""
    seats = current_seats(data.seats)
    rows = seat_groups(seats.assign(idle_cost=idle_cost(seats))).reset_index(drop=True)
    counts = pd.crosstab(rows["group"], rows["status"]).reindex(
        columns=list(STATUS_ORDER), fill_value=0
    )
    extra = rows.groupby("group").agg(
        seats=("seat_id", "size"),
        idle_cost_month=("idle_cost", "sum"),
        meetings_90d=("meetings_hosted_90d", "sum"),
    )
    return counts.join(extra).sort_values(["seats", "group"], ascending=[False, True]).reset_index()


@dataclass(frozen=True)
class Matrix:
    """A labelled 2-D table for a heatmap: rows are features, columns groups, members or months."""

    values: pd.DataFrame
    column_kind: str  # "group", "member" or "month"
    note: str = ""


def _most_adopted_first(
    grid: pd.DataFrame, adoption: pd.DataFrame, score: pd.Series
) -> pd.DataFrame:
    """Feature rows relabelled for the reader, highest `score` first, then by name."""
    names = adoption.drop_duplicates("feature").set_index("feature")["feature_label"]
    names = names.reindex(grid.index).fillna(pd.Series(grid.index, index=grid.index))
    key = pd.DataFrame({"score": score.reindex(grid.index).fillna(0), "name": names})
    order = key.sort_values(["score", "name"], ascending=[False, True]).index
    ordered = grid.loc[order]
    ordered.index = names.loc[order].tolist()
    return ordered


def adoption_heatmap(data: DashboardData) -> Matrix | None:
    """Share of each group's assigned members who adopted each feature (members if no groups)."""
    seats = current_seats(data.seats)
    members = seats.loc[seats["status"].isin(ASSIGNED_STATUSES) & seats["user_uri"].notna()]
    features = data.feature_adoption["feature"].unique()
    if members.empty or len(features) == 0:
        return None
    adoption = data.feature_adoption
    adopted = adoption.loc[
        adoption["adopted"].fillna(False).astype(bool)
        & adoption["user_uri"].isin(members["user_uri"])
    ]
    overall = adopted.groupby("feature")["user_uri"].nunique()
    if has_groups(data.seats):
        per_group = seat_groups(members)[["user_uri", "group"]]
        size = per_group.groupby("group")["user_uri"].nunique()
        hits = adopted.merge(per_group, on="user_uri").groupby(["feature", "group"])["user_uri"]
        share = (hits.nunique().unstack(fill_value=0).div(size, axis=1) * 100).round(0)
        share = share.reindex(index=features, columns=size.index).fillna(0)
        return Matrix(_most_adopted_first(share, adoption, overall), "group")
    chosen = members.assign(
        n=members["user_uri"].map(adopted.groupby("user_uri").size()).fillna(0)
    ).sort_values(["n", "name"], ascending=[False, True])
    note = ""
    if len(chosen) > MAX_HEATMAP_MEMBERS:
        note = f"the {MAX_HEATMAP_MEMBERS} members with the most adopted features of {len(chosen)}"
        chosen = chosen.head(MAX_HEATMAP_MEMBERS)
    grid = (
        adopted.assign(v=100.0)
        .pivot_table(index="feature", columns="user_uri", values="v", aggfunc="max")
        .reindex(index=features, columns=chosen["user_uri"])
        .fillna(0)
    )
    grid.columns = unique_labels(chosen["name"].fillna(chosen["email"]).tolist())
    return Matrix(_most_adopted_first(grid, adoption, overall), "member", note)


def adoption_trend(data: DashboardData) -> Matrix | None:
    """Adoption share (% of active seats) per feature and month, most adopted last month first.

    A month without an active seat has no share (NULL), so it has no column; an organization
    that never had an active seat (brand new, the owner alone) has no trend at all.
    """
    ofa = data.org_feature_adoption
    shares = ofa.loc[ofa["adoption_share"].notna()]
    if shares.empty:
        return None
    grid = shares.pivot_table(
        index="feature", columns="month", values="adoption_share", aggfunc="max"
    )
    grid = (grid.reindex(ofa["feature"].unique()).fillna(0) * 100).round(0)
    # NULL in_plan (a plan this code does not know): no verdict, so no "(not in plan)" label.
    not_in_plan = set(ofa.loc[ofa["in_plan"].eq(False).fillna(False).astype(bool), "feature"])
    labelled = ofa.assign(
        feature_label=ofa["feature_label"].where(
            ~ofa["feature"].isin(not_in_plan), ofa["feature_label"] + " (not in plan)"
        )
    )
    running = running_month(data)
    complete = [m for m in grid.columns if running is None or pd.Timestamp(m) < running]
    # Most adopted in the last complete month first: a running month ranks on a few days.
    grid = _most_adopted_first(grid, labelled, grid[complete[-1] if complete else grid.columns[-1]])
    grid.columns = [
        pd.Timestamp(m).strftime("%b %Y") + (" (to date)" if pd.Timestamp(m) == running else "")
        for m in grid.columns
    ]
    return Matrix(grid, "month")


def last_complete_month(data: DashboardData) -> pd.Timestamp | None:
    """The latest month of adoption figures that is over: verdicts are judged on it."""
    months = pd.to_datetime(data.org_feature_adoption["month"])
    running = running_month(data)
    complete = months[months < running] if running is not None else months
    return None if complete.empty else complete.max()


def paid_unused(data: DashboardData) -> pd.DataFrame:
    """Features in the plan above the free tier that nobody used in the last complete month
    (a running month's few days would call a feature used weekly 'unused')."""
    ofa = data.org_feature_adoption
    month = last_complete_month(data)
    if ofa.empty or month is None:
        return ofa[["feature_label", "tier"]].head(0)
    latest = ofa.loc[pd.to_datetime(ofa["month"]) == month]
    return (
        latest.loc[latest["paid_unused"].fillna(False).astype(bool), ["feature_label", "tier"]]
        .sort_values("feature_label")
        .reset_index(drop=True)
    )


OUTCOMES = {
    "completed": ("completed",),
    "canceled": ("canceled_by_host", "canceled_by_invitee"),
    "no-show": ("no_show",),
    "rescheduled": ("rescheduled",),
}


def weekly_outcomes(data: DashboardData) -> pd.DataFrame:
    """Meetings per week (Monday to Sunday) by outcome up to the sync date, last WEEKS_SHOWN weeks.

    `label` names each week by its Monday; the week of the sync is marked as partial.
    """
    daily = data.daily_activity
    day = pd.to_datetime(daily["activity_date"])
    today = pd.Timestamp(data.as_of.date()) if data.as_of else day.max()
    daily, day = daily.loc[day <= today], day[day <= today]
    if daily.empty:
        return pd.DataFrame(columns=["week", "label", *OUTCOMES])
    frame = pd.DataFrame(
        {name: daily[list(cols)].fillna(0).sum(axis=1) for name, cols in OUTCOMES.items()}
    ).assign(week=day.dt.to_period("W-SUN").dt.start_time)
    weekly = frame.groupby("week", as_index=False).sum().sort_values("week").tail(WEEKS_SHOWN)
    weekly = weekly.astype({name: int for name in OUTCOMES}).reset_index(drop=True)
    partial = (weekly["week"] + pd.Timedelta(days=6) > today).map({True: " (to date)", False: ""})
    return weekly.assign(label=weekly["week"].dt.strftime("%d %b") + partial)


def top_event_types(data: DashboardData, n: int = 10) -> pd.DataFrame:
    usage = data.event_type_usage
    return (
        usage.loc[usage["bookings"].fillna(0) > 0]
        .sort_values(["bookings", "name"], ascending=[False, True])
        .head(n)
        .reset_index(drop=True)
    )
