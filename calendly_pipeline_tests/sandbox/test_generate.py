"""The world generator on its own, without HTTP: short histories and many members.

Regression: with a history shorter than the signal bands (cooling meetings and some log signals
36-54 days ago), a member's latest log entry fell before the history start, the activity
generator drew from an empty range and the world did not build; cooling anchors landed before
the history start.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from calendly_pipeline.sandbox import SandboxConfig, Scale
from calendly_pipeline.sandbox.ids import US_PER_DAY
from calendly_pipeline.sandbox.manifest import build_manifest
from calendly_pipeline.sandbox.world import World
from calendly_pipeline_tests.conftest import AS_OF

FORWARD_DAYS = 30  # future bookings reach this far past as_of (docs/sandbox.md)

SHORT_HISTORY_SCALES = [
    Scale(users=2_000, events=50_000, history_days=30),  # the reported failure
    Scale(users=500, events=10_000, history_days=40),
    Scale(users=142, events=25_000, history_days=31),
    Scale(users=142, events=25_000, history_days=56),  # cooling band just too long to fit
    Scale(users=12, events=400, history_days=30),  # the tiny archetype list
    Scale(users=8, events=200, history_days=45),
]


@pytest.mark.parametrize("scale", SHORT_HISTORY_SCALES, ids=repr)
@pytest.mark.parametrize("seed", [0, 42])
def test_short_history_worlds_build_inside_their_window(scale: Scale, seed: int) -> None:
    world = World(SandboxConfig(seed=seed, as_of=AS_OF, scale=scale, rate_limit_per_minute=0))
    d = world.data
    start, now = d.history_start_us, d.now_us
    assert now - start == scale.history_days * US_PER_DAY

    assert world.counts()["scheduled_events"] == scale.events
    assert world.counts()["users"] == scale.users
    ev = d.events
    assert ev.start.min() >= start
    assert ev.start.max() < now + FORWARD_DAYS * US_PER_DAY
    assert np.all(ev.created < ev.start)
    assert all(start <= a.occurred_us <= now for a in d.activity)
    # every member's latest meeting and log signal is something the window can show
    for u in d.users:
        for days in (u.meet_d, u.log_d):
            assert days is None or days < scale.history_days, u

    # and the signals still keep clear of the 30/60/90-day thresholds
    manifest = build_manifest(world)
    as_of = datetime.fromisoformat(manifest["as_of"])
    for m in manifest["members"]:
        if m["last_active_at"]:
            days = (as_of - datetime.fromisoformat(m["last_active_at"])).total_seconds() / 86400
            assert all(abs(days - t) >= 3 for t in (30, 60, 90)), m
