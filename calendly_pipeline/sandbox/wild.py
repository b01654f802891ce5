"""Where the `WildData` knobs land in a freshly built organization (docs/sandbox.md, "Wild data").

Seeded by `WildData.seed`, so the same knobs pick the same records; they change what is served,
never the manifest's verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calendly_pipeline.sandbox.config import WildData
from calendly_pipeline.sandbox.generate import OrgData
from calendly_pipeline.sandbox.ids import US_PER_DAY, mix64


@dataclass(frozen=True)
class WildPicks:
    """The records the knobs picked; the renderers serve them differently."""

    unknown_status_events: frozenset[int]  # served with `UNKNOWN_EVENT_STATUS`
    unlisted_event_type: int | None  # left out of `/event_types`
    orphan_members: frozenset[int]  # membership served with `"user": null`
    uriless_events: frozenset[int]  # listed without `uri`


def apply_wild(data: OrgData, wild: WildData) -> WildPicks:
    """Pick the wild records; the big group event's invitees and null names go into `data`."""
    unknown, unlisted = _wild_events(data, wild)
    orphans, uriless = _wild_records(data, wild)
    return WildPicks(unknown, unlisted, orphans, uriless)


def _wild_events(data: OrgData, wild: WildData) -> tuple[frozenset[int], int | None]:
    """(events served with an unknown status, the unlisted event type); the big group event
    gets its invitees here."""
    ev = data.events
    eids = np.arange(len(ev))
    plain = (ev.status == 0) & ~ev.deleted
    unknown: frozenset[int] = frozenset()
    if wild.unknown_event_status_rate:
        draw = np.asarray([mix64(wild.seed, int(e), 13) % 10_000 for e in eids])
        share = round(wild.unknown_event_status_rate * 10_000)
        unknown = frozenset(int(e) for e in eids[plain & (draw < share)])
    past = plain & (ev.start < data.now_us)
    if wild.big_event_invitees:
        group = past & np.asarray([data.event_types[t].limit > 1 for t in ev.et])
        candidates = eids[group]
        if not len(candidates):
            raise ValueError("WildData.big_event_invitees: this world has no past group event")
        ev.n_inv[candidates[mix64(wild.seed, 17) % len(candidates)]] = wild.big_event_invitees
    unlisted = None
    if wild.unlisted_event_type:
        # A type booked in the week before as_of, so a short sync window meets it.
        recent = past & (ev.start >= data.now_us - 7 * US_PER_DAY)
        types = sorted({int(t) for t in ev.et[recent]})
        unlisted = types[mix64(wild.seed, 19) % len(types)]
    return unknown, unlisted


def _wild_records(data: OrgData, wild: WildData) -> tuple[frozenset[int], frozenset[int]]:
    """Null names go into the data itself; returns (members whose membership is served with
    `"user": null`, events listed without `uri`)."""
    d = data

    def pick(candidates: list[int], n: int, salt: int) -> frozenset[int]:
        return frozenset(sorted(candidates, key=lambda i: mix64(wild.seed, i, salt))[:n])

    if wild.null_names:
        d.org_name = None  # type: ignore[assignment]  # served without `name` at all
        for records, salt in ((d.users, 23), (d.groups, 29), (d.event_types, 31)):
            for i in pick([r.idx for r in records], (len(records) + 3) // 4, salt):
                records[i].name = None  # type: ignore[assignment]

    holders = {d.owner, d.admin, d.plain_user}
    members = [u.idx for u in d.users if u.removed_us is None and u.idx not in holders]
    ev = d.events
    week = ~ev.deleted & (ev.start < d.now_us) & (ev.start >= d.now_us - 7 * US_PER_DAY)
    return (
        pick(members, wild.orphan_memberships, 37),
        pick(np.flatnonzero(week).tolist(), wild.events_without_uri, 41),
    )
