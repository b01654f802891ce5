"""A small, realistic analytics database for dashboard tests, written through storage's migrations.

Tables are created by `storage.migrations.migrate` from the TableSpecs, then filled by column name,
so a renamed or retyped column in a spec breaks these tests instead of being papered over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb
import pandas as pd
from faker import Faker

from calendly_pipeline.storage.migrations import migrate

AS_OF = datetime(2026, 6, 30, 12, tzinfo=UTC)
ORG = "https://api.calendly.com/organizations/ORG1"
FEATURES = (  # key, label, tier
    ("one_on_one", "One-on-one event types", "basic"),
    ("group_event", "Group event types", "standard"),
    ("round_robin", "Round robin", "teams"),
    ("location_zoom", "Zoom meetings", "basic"),
    ("routing_forms", "Routing forms", "teams"),
    ("webhooks", "Webhooks", "standard"),
    ("activity_log", "Activity log", "enterprise"),
)
PRICE = 20.0


@dataclass(frozen=True)
class Shape:
    """Which parts of the organization exist, to exercise the empty states."""

    groups: bool = True
    idle: bool = True
    events: bool = True


def _seats(fake: Faker, shape: Shape) -> pd.DataFrame:
    groups = [["Sales"], ["Sales", "Support"], ["Support"], ["Engineering"], []]
    statuses = ["active"] * 7 + ["new"] + (["idle"] * 3 if shape.idle else ["active"] * 3)
    rows = []
    for i, status in enumerate(statuses):
        days = {"active": 3 + i, "new": 2, "idle": 70 + 11 * i}[status]
        rows.append(
            {
                "seat_id": f"https://api.calendly.com/organization_memberships/M{i:02d}",
                "seat_type": "member",
                "user_uri": f"https://api.calendly.com/users/U{i:02d}",
                "name": fake.name(),
                "email": fake.unique.company_email(),
                "role": "owner" if i == 0 else "user",
                "group_names": groups[i % len(groups)] if shape.groups else [],
                "joined_at": AS_OF - timedelta(days=400 if status != "new" else 10),
                "last_active_at": AS_OF - timedelta(days=days),
                "activity_source": "meeting" if i % 3 else "activity_log",
                "days_since_active": days,
                "meetings_hosted_30d": 0 if status == "idle" else 4 + i,
                "meetings_hosted_90d": 1 if status == "idle" else 12 + i,
                "status": status,
                "excluded": False,
                "monthly_cost": PRICE,
                "recommendation": {"active": "keep", "new": "keep", "idle": "reclaim"}[status],
            }
        )
    # A service account that is idle but on the exclusion list: never in the reclaim list.
    rows.append(
        rows[-1]
        | {
            "seat_id": "https://api.calendly.com/organization_memberships/SVC",
            "user_uri": "https://api.calendly.com/users/SVC",
            "name": "Booking bot",
            "email": "bot@example.com",
            "excluded": True,
            "recommendation": "review",
        }
    )
    if shape.idle:
        for j in range(2):
            rows.append(
                {
                    "seat_id": f"https://api.calendly.com/organization_invitations/I{j}",
                    "seat_type": "invitation",
                    "email": fake.unique.company_email(),
                    "group_names": [],
                    "joined_at": AS_OF - timedelta(days=40 - 30 * j),
                    "activity_source": "none",
                    "meetings_hosted_30d": 0,
                    "meetings_hosted_90d": 0,
                    "status": "pending",
                    "excluded": False,
                    "monthly_cost": PRICE,
                    "recommendation": "reclaim" if j else "review",
                }
            )
    rows.append(
        {
            "seat_id": "https://api.calendly.com/organization_memberships/GONE",
            "seat_type": "member",
            "user_uri": "https://api.calendly.com/users/GONE",
            "name": fake.name(),
            "email": fake.unique.company_email(),
            "group_names": [],
            "activity_source": "none",
            "meetings_hosted_30d": 0,
            "meetings_hosted_90d": 0,
            "status": "removed",
            "excluded": False,
            "monthly_cost": 0.0,
            "recommendation": None,
        }
    )
    frame = pd.DataFrame(rows).assign(as_of=AS_OF)
    frame["features_used"] = [[k for k, _, _ in FEATURES[: 1 + i % 4]] for i in range(len(frame))]
    frame["paid_features_used"] = frame["features_used"].map(lambda f: f[1:])
    return frame


def _adoption(seats: pd.DataFrame) -> pd.DataFrame:
    members = seats.loc[seats["status"].isin(["active", "new", "idle"])]
    rows = []
    for i, (uri, status) in enumerate(zip(members["user_uri"], members["status"], strict=True)):
        for key, label, tier in FEATURES[: 1 + i % 5]:
            last = AS_OF - timedelta(days=5 if status != "idle" else 120)
            rows.append(
                {
                    "user_uri": uri,
                    "feature": key,
                    "feature_label": label,
                    "tier": tier,
                    "first_used_at": AS_OF - timedelta(days=200),
                    "last_used_at": last,
                    "uses_total": 10 + i,
                    "uses_90d": 0 if status == "idle" else 3 + i,
                    "adopted": status != "idle",
                }
            )
    return pd.DataFrame(rows)


def _org_adoption() -> pd.DataFrame:
    rows = []
    for m, month in enumerate([date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]):
        for f, (key, label, tier) in enumerate(FEATURES):
            adopters = (
                0 if key in ("routing_forms", "activity_log") else min(10, max(0, 9 - 2 * f + m))
            )
            rows.append(
                {
                    "feature": key,
                    "feature_label": label,
                    "tier": tier,
                    "month": month,
                    "adopters": adopters,
                    "active_seats": 10,
                    "adoption_share": adopters / 10,
                    "uses": adopters * 3,
                    "in_plan": True,
                    "paid_unused": adopters == 0 and tier != "basic",
                }
            )
    return pd.DataFrame(rows)


def _daily(seats: pd.DataFrame) -> pd.DataFrame:
    hosts = seats.loc[seats["status"] == "active", "user_uri"].tolist()
    rows = []
    for d in range(-56, 21):
        day = AS_OF.date() + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for h, uri in enumerate(hosts[: 2 + (d % 4)]):
            past = d <= 0
            rows.append(
                {
                    "activity_date": day,
                    "user_uri": uri,
                    "scheduled": 2 + h % 2,
                    "completed": (1 + h % 2) if past else 0,
                    "canceled_by_host": int((d + h) % 5 == 0),
                    "canceled_by_invitee": int((d + h) % 7 == 0),
                    "no_show": int(past and (d + h) % 9 == 0),
                    "rescheduled": int((d + h) % 6 == 0),
                    "unknown_status": 0,
                    "invitee_bookings": 2 + h % 3,
                }
            )
    return pd.DataFrame(rows)


def _event_types() -> pd.DataFrame:
    names = ["Intro call", "Demo", "Support session", "Quarterly review", "Team sync", "Unused"]
    return pd.DataFrame(
        {
            "event_type_uri": [f"https://api.calendly.com/event_types/ET{i}" for i in range(6)],
            "name": names,
            "kind": ["solo", "solo", "solo", "group", "solo", "solo"],
            "pooling_type": [None, "round_robin", None, None, "collective", None],
            "owner_name": ["Sales team", "Sales team", "Support", "Finance", "Engineering", "X"],
            "bookings": [120, 85, 64, 12, 30, 0],
            "canceled": [10, 9, 4, 1, 3, 0],
            "no_shows": [6, 2, 3, 0, 1, 0],
        }
    ).assign(
        cancellation_rate=lambda f: (f["canceled"] / f["bookings"]).fillna(0),
        no_show_rate=lambda f: (f["no_shows"] / f["bookings"]).fillna(0),
    )


def _history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)],
            "seats_assigned": [10, 11, 12],
            "active": [8, 8, 7],
            "idle": [1, 2, 4],
            "unknown": [0, 0, 0],
            "new": [1, 1, 1],
            "pending": [1, 3, 2],
            "removed": [0, 0, 1],
            "idle_monthly_cost": [40.0, 100.0, 120.0],
        }
    )


def dashboard_frames(shape: Shape = Shape(), *, synthetic: bool = True) -> dict[str, pd.DataFrame]:
    """Every table the dashboard reads, by qualified name; empty frames stay empty tables."""
    fake = Faker()
    Faker.seed(7)
    seats = _seats(fake, shape)
    frames = {
        "analytics.seat_utilization": seats,
        "analytics.feature_adoption": _adoption(seats),
        "analytics.org_feature_adoption": _org_adoption(),
        "analytics.daily_activity": _daily(seats) if shape.events else pd.DataFrame(),
        "analytics.event_type_usage": _event_types() if shape.events else pd.DataFrame(),
        "analytics.seat_history": _history(),
        "meta.sync_info": pd.DataFrame(
            [
                {
                    "org_uri": ORG,
                    "org_name": "Acme Robotics",
                    "plan": "enterprise",
                    "synced_at": AS_OF + timedelta(minutes=3),
                    "is_synthetic": synthetic,
                    "api_host": "127.0.0.1",
                    "idle_days": 60,
                    "grace_days": 30,
                    "price_per_seat": PRICE,
                    "currency": "USD",
                    "trailing_days": 7,
                }
            ]
        ),
    }
    return frames


def build_dashboard_db(
    path: str,
    shape: Shape = Shape(),
    *,
    synthetic: bool = True,
    frames: dict[str, pd.DataFrame] | None = None,
) -> str:
    """Write a DuckDB file at `path` with every table the dashboard reads (`frames`, by default
    `dashboard_frames(shape)`); returns the path."""
    frames = dashboard_frames(shape, synthetic=synthetic) if frames is None else frames
    with duckdb.connect(path) as con:
        migrate(con)
        for table, frame in frames.items():
            if frame.empty:
                continue
            con.register("frame", frame)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")
            con.unregister("frame")
    return path
