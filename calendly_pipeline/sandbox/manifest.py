"""Ground truth: who is really idle and which features each member really uses.

Computed from the world's own data by the rules of docs/architecture.md section 4, over exactly
the data the API serves (the activity log only on Enterprise, webhooks only from Standard up).
"""

from __future__ import annotations

import numpy as np

from calendly_pipeline.sandbox.config import PLANS
from calendly_pipeline.sandbox.features import BIT, FEATURES
from calendly_pipeline.sandbox.ids import US_PER_DAY, fmt_us
from calendly_pipeline.sandbox.world import World

IDLE_DAYS, GRACE_DAYS, ADOPTION_DAYS = 60, 30, 90
NONE = np.iinfo(np.int64).min


def build_manifest(world: World) -> dict:
    with world.lock:
        return _build(world)


def _build(world: World) -> dict:
    d = world.data
    ev = d.events
    now = world.now_us
    n_users = len(d.users)
    live = ~ev.deleted
    plan_rank = PLANS.index(d.plan)

    # event signals (issue 18): `booking` (passive) at created_at; `meeting` at the start of a
    # meeting that took place (not canceled); `host_cancel` at canceled_at, for every host
    booked = ev.created <= now  # signals and uses later than as_of are ignored
    signals = {
        "booking": np.where(booked, ev.created, NONE),
        "meeting": np.where((ev.status == 0) & (ev.start <= now), ev.start, NONE),
        "host_cancel": np.where(
            (ev.status == 1) & (ev.canceler == 1) & (ev.canceled_at <= now), ev.canceled_at, NONE
        ),
    }
    latest = {name: np.full(n_users, NONE, dtype=np.int64) for name in signals}
    feats = ev.features(world.et_features)
    for eid, bits in world.extra_bits.items():
        feats[eid] |= np.uint32(bits)
    last_use = np.full((n_users, len(FEATURES)), NONE, dtype=np.int64)
    for hosts in (ev.host0, ev.host1):
        mask = live & (hosts >= 0)
        h = hosts[mask].astype(np.int64)
        for name, signal in signals.items():
            np.maximum.at(latest[name], h, signal[mask])
        mask &= booked
        h = hosts[mask].astype(np.int64)
        created, fbits = ev.created[mask], feats[mask]
        for i, name in enumerate(FEATURES):
            if name in ("webhooks", "activity_log"):
                continue
            has = (fbits & np.uint32(BIT[name])) != 0
            np.maximum.at(last_use[:, i], h[has], created[has])

    # where the activity log is served, it names who edited an event type (namespace
    # EventType); without it the type's updated_at is credited to its owner
    edit = np.full(n_users, NONE, dtype=np.int64)
    log = np.full(n_users, NONE, dtype=np.int64)
    served_log = d.plan == "enterprise" and len(d.activity) > 0
    logged_removals = set()  # members whose removal the served log records (`log_removals`)
    for e in d.activity if served_log else ():
        if e.member is not None and e.occurred_us <= now:
            logged_removals.add(e.member)
        target = edit if e.namespace == "EventType" else log
        if e.occurred_us <= now:
            target[e.actor] = max(target[e.actor], e.occurred_us)
    for et in () if served_log else d.event_types:
        if et.owner_user is not None and et.updated_us <= now:
            edit[et.owner_user] = max(edit[et.owner_user], et.updated_us)
    if plan_rank >= PLANS.index("standard"):
        hook_i = FEATURES.index("webhooks")
        for w in (w for w in d.webhooks if w.created_us <= now):
            last_use[w.creator, hook_i] = max(last_use[w.creator, hook_i], w.created_us)

    groups: dict[int, set[int]] = {}
    for r in world.live_relationships():
        if r.owner_kind == "membership":
            groups.setdefault(r.owner, set()).add(r.group)

    members = []
    for u in world.members():
        # ties: meeting, host_cancel, activity_log, event_type_edit, booking (max keeps the first)
        candidates = [
            (latest["meeting"][u.idx], "meeting"),
            (latest["host_cancel"][u.idx], "host_cancel"),
            (log[u.idx], "activity_log"),
            (edit[u.idx], "event_type_edit"),
            (latest["booking"][u.idx], "booking"),
        ]
        best, source = max(candidates, key=lambda c: c[0])
        host_action = max(c[0] for c in candidates[:-1])
        if best == NONE:
            last_active, source, status = None, "none", None
        else:
            last_active = int(best)
            days = (now - last_active) // US_PER_DAY
            status = "active" if days <= IDLE_DAYS else None
        if status is None:
            status = "new" if u.joined_us > now - GRACE_DAYS * US_PER_DAY else "idle"
        used = [f for i, f in enumerate(FEATURES) if last_use[u.idx, i] != NONE]
        adopted = [
            f
            for i, f in enumerate(FEATURES)
            if last_use[u.idx, i] != NONE and now - last_use[u.idx, i] <= ADOPTION_DAYS * US_PER_DAY
        ]
        members.append(
            {
                "user_uri": world.uri("user", u.idx),
                "membership_uri": world.uri("membership", u.idx),
                "email": u.email,
                "name": u.name,
                "role": u.role,
                "joined_at": fmt_us(u.joined_us),
                "groups": sorted(world.uri("group", g) for g in groups.get(u.idx, ())),
                "last_active_at": fmt_us(last_active) if last_active is not None else None,
                "last_host_action_at": fmt_us(int(host_action)) if host_action != NONE else None,
                "activity_source": source,
                "status": status,
                "features_used": used,
                "features_adopted": adopted,
                "archetype": u.archetype,
            }
        )
    return {
        "organization": {"uri": world.org_uri(), "name": d.org_name, "plan": d.plan},
        "as_of": fmt_us(now),
        "rules": {"idle_days": IDLE_DAYS, "grace_days": GRACE_DAYS, "adoption_days": ADOPTION_DAYS},
        "members": members,
        "removed_members": [
            {
                "user_uri": world.uri("user", u.idx),
                "email": u.email,
                "removed_at": fmt_us(u.removed_us),
                # what the pipeline's seat tables can know of it besides roster snapshots
                "in_activity_log": u.idx in logged_removals,
            }
            for u in d.users
            if u.removed_us is not None
        ],
        "pending_invitations": [
            {"uri": world.invitation_uri(i.idx), "email": i.email}
            for i in d.invitations
            if i.status == "pending"
        ],
        "counts": world.counts(),
    }
