"""Time and peak memory of the utilization transforms on large synthetic raw frames.

Builds raw frames the size of the sandbox's `large` scale (2,000 users, 1,000,000 scheduled
events, 1,500,000 invitees, one year) directly with numpy, with the raw columns the transforms
read, then runs every analytics transform alone and all of them in one pass (`build_analytics`),
and prints seconds and the process's peak RSS.

    uv run python benchmarks/utilization_transforms.py
    uv run python benchmarks/utilization_transforms.py --events 200000 --users 500
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from calendly_pipeline.transforms import activity, adoption, utilization
from calendly_pipeline.transforms.model import build_analytics
from calendly_pipeline.transforms.utilization_config import UtilizationConfig

AS_OF = pd.Timestamp("2026-06-30 12:00", tz="UTC")
BASE = "https://api.calendly.com"


def _uris(kind: str, n: int) -> np.ndarray:
    return np.char.add(f"{BASE}/{kind}/", np.arange(n).astype(str)).astype(object)


def _times(rng: np.random.Generator, n: int, low_days: float, high_days: float) -> pd.Series:
    offsets = rng.uniform(low_days, high_days, n) * 86_400e6
    return pd.Series(AS_OF - pd.to_timedelta(offsets.astype("int64"), unit="us")).astype(
        "datetime64[us, UTC]"
    )


def build(users: int, events: int, invitees_per_event: float, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    user_uris = _uris("users", users)
    n_types = users * 3
    type_uris = _uris("event_types", n_types)
    owner = rng.integers(0, users, n_types)
    kind = rng.choice(["solo", "group"], n_types, p=[0.9, 0.1])
    pooling = rng.choice(np.array([None, "round_robin", "collective"], dtype=object), n_types,
                         p=[0.8, 0.1, 0.1])  # fmt: skip
    event_types = pd.DataFrame(
        {
            "uri": type_uris,
            "name": "Meeting",
            "kind": kind,
            "pooling_type": pooling,
            "booking_method": rng.choice(["instant", "poll"], n_types, p=[0.97, 0.03]),
            "secret": rng.random(n_types) < 0.1,
            "admin_managed": rng.random(n_types) < 0.05,
            "duration_options": [[15, 30] if r < 0.2 else [30] for r in rng.random(n_types)],
            "custom_questions_enabled": rng.integers(0, 3, n_types),
            "profile_type": "User",
            "profile_owner": user_uris[owner],
            "profile_name": "Owner",
            "updated_at": _times(rng, n_types, 0, 365),
        }
    )
    event_uris = _uris("scheduled_events", events)
    ev_type = rng.integers(0, n_types, events)
    start = _times(rng, events, -30, 365)
    canceled = rng.random(events) < 0.12
    scheduled_events = pd.DataFrame(
        {
            "uri": event_uris,
            "status": np.where(canceled, "canceled", "active"),
            "start_time": start,
            "end_time": start + pd.Timedelta(minutes=30),
            "event_type": type_uris[ev_type],
            "location_type": rng.choice(
                ["zoom", "google_conference", "physical", "inbound_call"], events
            ),
            "canceler_type": np.where(canceled, rng.choice(["host", "invitee"], events), None),
            "created_at": start - pd.to_timedelta(rng.integers(1, 30, events), unit="D"),
            "deleted_at": pd.Series(pd.NaT, index=range(events), dtype="datetime64[us, UTC]"),
        }
    )
    second_host = rng.random(events) < 0.1
    event_hosts = pd.DataFrame(
        {
            "event_uri": np.concatenate([event_uris, event_uris[second_host]]),
            "user_uri": np.concatenate(
                [user_uris[owner[ev_type]], user_uris[rng.integers(0, users, second_host.sum())]]
            ),
        }
    ).drop_duplicates()
    n_inv = int(events * invitees_per_event)
    inv_event = np.concatenate([np.arange(events), rng.integers(0, events, n_inv - events)])

    def sparse(p: float, value: object) -> np.ndarray:
        return np.where(rng.random(n_inv) < p, value, None)

    invitees = pd.DataFrame(
        {
            "uri": _uris("invitees", n_inv),
            "event_uri": event_uris[inv_event],
            "status": np.where(canceled[inv_event], "canceled", "active"),
            "rescheduled": rng.random(n_inv) < 0.03,
            "no_show_uri": sparse(0.04, "ns"),
            "reconfirmation_created_at": sparse(0.02, "2026-01-01T00:00:00Z"),
            "routing_form_submission": sparse(0.05, "rfs"),
            "payment_provider": sparse(0.02, "stripe"),
            "payment_amount": sparse(0.02, 10.0),
            "utm_source": sparse(0.1, "mail"),
            "utm_medium": None, "utm_campaign": None, "utm_content": None, "utm_term": None,
            "text_reminder": rng.random(n_inv) < 0.1,
            "deleted_at": pd.Series(pd.NaT, index=range(n_inv), dtype="datetime64[us, UTC]"),
        }
    )  # fmt: skip
    joined = _times(rng, users, 10, 900)
    memberships = pd.DataFrame(
        {
            "uri": _uris("organization_memberships", users),
            "user_uri": user_uris,
            "user_name": "Member",
            "user_email": np.char.add(np.arange(users).astype(str), "@acme.test").astype(object),
            "role": "user",
            "created_at": joined,
        }
    )
    snapshots = memberships.rename(
        columns={"uri": "membership_uri", "created_at": "joined_at"}
    ).assign(snapshot_date=pd.Timestamp(AS_OF.date()))
    empty = pd.DataFrame
    return {
        "organizations": pd.DataFrame({"uri": [f"{BASE}/organizations/O"], "plan": ["teams"]}),
        "organization_memberships": memberships,
        "membership_snapshots": snapshots,
        "organization_invitations": empty(columns=["uri", "email", "status", "created_at"]),
        "groups": empty(columns=["uri", "name"]),
        "group_relationships": empty(columns=["owner_uri", "group_uri"]),
        "event_types": event_types,
        "scheduled_events": scheduled_events,
        "event_hosts": event_hosts,
        "invitees": invitees,
        "webhook_subscriptions": empty(columns=["creator", "created_at"]),
        "activity_log_entries": pd.DataFrame(
            {
                "actor_uri": user_uris[rng.integers(0, users, 50_000)],
                "occurred_at": _times(rng, 50_000, 0, 365),
            }
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--invitees-per-event", type=float, default=1.5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    frames = build(args.users, args.events, args.invitees_per_event)
    print(
        f"built raw frames: {len(frames['scheduled_events']):,} events, "
        f"{len(frames['invitees']):,} invitees, {len(frames['event_hosts']):,} host rows "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    config = UtilizationConfig()
    runs = {
        "seat_utilization": lambda: utilization.seat_utilization(frames, config, AS_OF),
        "seat_history": lambda: utilization.seat_history(frames, config, AS_OF),
        "feature_adoption": lambda: adoption.feature_adoption(frames, config, AS_OF),
        "org_feature_adoption": lambda: adoption.org_feature_adoption(frames, config, AS_OF),
        "daily_activity": lambda: activity.daily_activity(frames, AS_OF),
        "event_type_usage": lambda: activity.event_type_usage(frames, AS_OF),
        "build_analytics (all)": lambda: sum(
            map(len, build_analytics(frames, config, AS_OF).values())
        ),
    }
    for name, run in runs.items():
        t0 = time.perf_counter()
        result = run()
        rows = result if isinstance(result, int) else len(result)
        print(f"{name:22s} {time.perf_counter() - t0:6.1f} s  {rows:>9,} rows")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
