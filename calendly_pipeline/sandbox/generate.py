"""The seeded synthetic organization.

Members follow archetypes (power, regular, cooling, idle, edit-only, log-only, never active, new
joiners, service account, removed). Each archetype fixes, per activity signal, how many days ago
its latest occurrence is, always at least 3 days away from every threshold of the utilization
rules (30/60/90 idle days, 30 grace days, 90 adoption days), so that the ground-truth manifest
cannot flip on rounding. Scheduled events are columnar numpy arrays sorted by start time; their
invitees are derived on demand from a per-event seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
from faker import Faker

from calendly_pipeline.sandbox.config import PLANS, Scale
from calendly_pipeline.sandbox.features import BIT, GUESTS_BIT, LOCATION_BITS, LOCATION_CODE
from calendly_pipeline.sandbox.ids import US_PER_DAY, US_PER_HOUR, UTC, to_us

# Days ago that are safe for "last signal": away from 30/60/90 by more than 3 days.
SAFE_COOLING = (36, 54)
SAFE_IDLE = ((66, 84), (96, 330))
ADOPTION_BAND = (86, 94)  # no booking or webhook is created this many days before as_of
# archetypes that set up event types (the others never did)
TYPED_ARCHETYPES = frozenset(
    {"power", "regular", "cooling", "idle", "edit_only", "new_active", "removed"}
)

TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Asia/Singapore",
    "Australia/Sydney",
)
LOCALES = ("en", "en", "en", "en", "fr", "es", "de", "pt")
GROUP_NAMES = (
    "Sales",
    "Customer Success",
    "Support",
    "Engineering",
    "Marketing",
    "Recruiting",
    "Finance",
    "Operations",
)
COLORS = ("#0088ff", "#8247f5", "#17e885", "#ff4f00", "#e55cff", "#ffa600", "#1a73e8")
CANCEL_REASONS = (
    "Something came up",
    "Conflict with another meeting",
    "No longer needed",
    None,
    "Sick today, sorry",
)


@dataclass
class User:
    idx: int
    name: str
    slug: str
    email: str
    timezone: str
    locale: str
    time_notation: str
    created_us: int
    updated_us: int
    role: str
    archetype: str
    joined_us: int
    removed_us: int | None = None
    meet_d: int | None = None
    edit_d: int | None = None
    log_d: int | None = None
    group: int | None = None
    group_admin: bool = False


@dataclass
class Invitation:
    idx: int
    email: str
    status: str
    created_us: int
    updated_us: int
    last_sent_us: int | None
    user: int | None
    group: int | None = None


@dataclass
class Group:
    idx: int
    name: str
    created_us: int
    updated_us: int


@dataclass
class Relationship:
    idx: int
    group: int
    owner_kind: str  # "membership" | "invitation"
    owner: int
    role: str
    created_us: int
    updated_us: int


@dataclass
class EventType:
    idx: int
    name: str
    slug: str
    kind: str
    pooling_type: str | None
    booking_method: str
    secret: bool
    admin_managed: bool
    is_paid: bool
    duration: int
    duration_options: list[int] | None
    custom_questions: list[dict]
    locations: list[str]
    owner_user: int | None
    owner_group: int | None
    hosts: list[int]
    created_us: int
    updated_us: int
    color: str
    position: int
    limit: int = 1
    active: bool = True
    deleted_us: int | None = None
    routing_target: bool = False
    description: str | None = None

    @property
    def features(self) -> int:
        bits = 0
        if self.kind == "solo" and self.pooling_type is None:
            bits |= BIT["one_on_one"]
        if self.kind == "group":
            bits |= BIT["group_event"]
        if self.pooling_type == "round_robin":
            bits |= BIT["round_robin"]
        if self.pooling_type == "collective":
            bits |= BIT["collective"]
        if self.booking_method == "poll":
            bits |= BIT["meeting_poll"]
        if self.secret:
            bits |= BIT["secret_event_type"]
        if self.admin_managed:
            bits |= BIT["managed_event_type"]
        if self.duration_options and len(self.duration_options) > 1:
            bits |= BIT["multiple_durations"]
        if any(q["enabled"] for q in self.custom_questions):
            bits |= BIT["custom_questions"]
        return bits


@dataclass
class Webhook:
    idx: int
    callback_url: str
    events: list[str]
    scope: str
    user: int | None
    group: int | None
    creator: int
    state: str
    created_us: int
    updated_us: int
    retry_started_us: int | None = None


@dataclass
class RoutingForm:
    idx: int
    name: str
    status: str
    questions: list[dict]
    target_et: int | None
    created_us: int
    updated_us: int


@dataclass
class ActivityEntry:
    idx: int
    occurred_us: int
    actor: int
    namespace: str
    action: str
    details: dict
    event_type: int | None = None  # an `EventType` entry: the type edited (served in details)
    member: int | None = None  # a removal entry: the member removed (served in details)


@dataclass
class Events:
    """Scheduled events, columnar. Row order = event id; `order` sorts rows by (start, id)."""

    start: np.ndarray  # int64 us
    duration: np.ndarray  # int32 minutes
    created: np.ndarray  # int64 us
    updated: np.ndarray  # int64 us
    canceled_at: np.ndarray  # int64 us, 0 = not canceled
    et: np.ndarray  # int32 event type index
    host0: np.ndarray  # int32 user index
    host1: np.ndarray  # int32 user index, -1 = none
    status: np.ndarray  # int8 0 active, 1 canceled
    canceler: np.ndarray  # int8 0 none, 1 host, 2 invitee
    n_inv: np.ndarray  # int8 invitees booked
    loc: np.ndarray  # int8 location code
    flags: np.ndarray  # uint32 feature bits carried by invitees, plus GUESTS_BIT
    resched_to: np.ndarray  # int32 event id of the rebooked event, -1 = none
    resched_from: np.ndarray  # int32 event id this one was rebooked from, -1 = none
    deleted: np.ndarray  # bool: compliance deletion
    order: np.ndarray = field(init=False)
    sorted_start: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        self.order = np.lexsort((np.arange(len(self.start)), self.start)).astype(np.int64)
        self.sorted_start = self.start[self.order]

    def __len__(self) -> int:
        return len(self.start)

    def features(self, et_features: np.ndarray) -> np.ndarray:
        """Feature bits of every event: event type, location and invitee signals."""
        loc_bits = np.asarray(LOCATION_BITS, dtype=np.uint32)[self.loc]
        return (et_features[self.et] | loc_bits | self.flags) & ~np.uint32(GUESTS_BIT)

    def append(self, **values: object) -> int:
        """Add one event (world controls); returns its id."""
        for name in _EVENT_COLUMNS:
            column = getattr(self, name)
            setattr(self, name, np.append(column, np.asarray([values[name]], dtype=column.dtype)))
        self.reindex()
        return len(self.start) - 1


_EVENT_COLUMNS = (
    "start",
    "duration",
    "created",
    "updated",
    "canceled_at",
    "et",
    "host0",
    "host1",
    "status",
    "canceler",
    "n_inv",
    "loc",
    "flags",
    "resched_to",
    "resched_from",
    "deleted",
)
_DTYPES = {
    "start": np.int64,
    "duration": np.int32,
    "created": np.int64,
    "updated": np.int64,
    "canceled_at": np.int64,
    "et": np.int32,
    "host0": np.int32,
    "host1": np.int32,
    "status": np.int8,
    "canceler": np.int8,
    "n_inv": np.int8,
    "loc": np.int8,
    "flags": np.uint32,
    "resched_to": np.int32,
    "resched_from": np.int32,
    "deleted": np.bool_,
}


@dataclass
class Submission:
    idx: int
    form: int
    created_us: int
    event: int  # -1 = the submitter did not book
    result: str  # event_type | external_url | custom_message


@dataclass
class OrgData:
    seed: int
    plan: str
    now_us: int
    history_start_us: int
    org_name: str
    org_created_us: int
    domain: str
    users: list[User]
    invitations: list[Invitation]
    groups: list[Group]
    relationships: list[Relationship]
    event_types: list[EventType]
    events: Events
    webhooks: list[Webhook]
    routing_forms: list[RoutingForm]
    submissions: list[Submission]
    activity: list[ActivityEntry]
    names: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # first, last, company pools
    owner: int
    admin: int
    plain_user: int


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _archetypes(n: int) -> list[str]:
    """Archetype per member, owner first. Fixed shares, so every scale shows every kind."""
    if n <= 20:
        base = [
            "power",
            "service",
            "regular",
            "power",
            "idle",
            "never",
            "new_quiet",
            "cooling",
            "regular",
            "new_active",
            "edit_only",
            "regular",
        ]
        return (base + ["regular"] * n)[:n]
    shares = (
        ("power", 0.22),
        ("cooling", 0.08),
        ("idle", 0.14),
        ("edit_only", 0.03),
        ("log_only", 0.03),
        ("never", 0.06),
        ("new_active", 0.04),
        ("new_quiet", 0.03),
    )
    kinds = ["power", "service"]
    for kind, share in shares:
        kinds += [kind] * max(1, round(n * share) - (1 if kind == "power" else 0))
    kinds += ["regular"] * (n - len(kinds))
    return kinds[:n]


def _pick_days(rng: random.Random, ranges: tuple[tuple[int, int], ...], cap: int) -> int | None:
    allowed = [(lo, min(hi, cap)) for lo, hi in ranges if lo <= min(hi, cap)]
    if not allowed:
        return None
    weights = [hi - lo + 1 for lo, hi in allowed]
    lo, hi = rng.choices(allowed, weights=weights)[0]
    return rng.randint(lo, hi)


def _signal_plan(kind: str, rng: random.Random, history: int) -> tuple:
    """Days ago of an archetype's join and latest meeting, event-type edit and log signals.

    Meeting and log signals are data the API serves only inside the history window, so they are
    capped at `recent` days ago; a band that does not fit a short history is cut to what fits, or
    the signal is dropped (None). Edits may predate the window (event types outlive it).
    """
    recent = history - 3
    long_ago = rng.randint(max(history, 330) + 30, max(history, 330) + 1100)
    if kind == "power":
        return long_ago, rng.randint(0, 5), _pick_days(rng, ((2, 24),), 999), None
    if kind == "regular":
        edit = _pick_days(rng, ((5, 24), SAFE_COOLING, (66, 84), (96, 200)), 999)
        log = _pick_days(rng, ((3, 24), SAFE_COOLING), recent) if rng.random() < 0.4 else None
        return long_ago, rng.randint(3, 24), edit, log
    if kind == "cooling":
        if SAFE_COOLING[1] <= recent:  # the band fits: the same draw as before the cap existed
            meet = rng.randint(*SAFE_COOLING)
        else:
            meet = _pick_days(rng, (SAFE_COOLING,), recent)
        return long_ago, meet, _pick_days(rng, SAFE_IDLE, 999), None
    if kind == "idle":
        meet = _pick_days(rng, SAFE_IDLE, recent) if rng.random() < 0.7 else None
        return long_ago, meet, _pick_days(rng, ((100, 330),), 999), None
    if kind == "edit_only":
        return long_ago, None, rng.randint(4, 24), None
    if kind == "log_only":
        return long_ago, None, None, rng.randint(2, 24)
    if kind == "service":
        return long_ago, None, None, rng.randint(0, 3)
    if kind == "never":
        return long_ago, None, None, None
    if kind == "new_active":
        joined = rng.randint(10, 25)
        return joined, rng.randint(0, joined - 6), rng.randint(1, joined - 2), None
    if kind == "new_quiet":
        return rng.randint(2, 25), None, None, None
    if kind == "removed":
        return long_ago, None, None, None
    raise ValueError(kind)


class _Builder:
    def __init__(self, seed: int, as_of: date, scale: Scale, plan: str) -> None:
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}")
        self.seed = seed
        self.scale = scale
        self.plan = plan
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.now = to_us(datetime.combine(as_of, time(12, 0), tzinfo=UTC))
        self.history = scale.history_days
        self.hist_start = self.now - self.history * US_PER_DAY
        fake = Faker("en_US")
        fake.seed_instance(seed)
        firsts = sorted({fake.first_name() for _ in range(600)})
        lasts = sorted({fake.last_name() for _ in range(600)})
        companies = sorted({fake.company() for _ in range(200)})
        self.names = (tuple(firsts), tuple(lasts), tuple(companies))
        self._offset = 0  # events generated so far: global ids of reschedule links
        self.org_name = fake.company()
        self.domain = _slugify(self.org_name.split(",")[0].split(" and ")[0]) + ".example"

    def days_ago(self, days: float) -> int:
        return self.now - int(days * US_PER_DAY)

    def jitter(self) -> int:
        """A random offset below one hour, so no two generated timestamps tie."""
        return self.rng.randrange(1, US_PER_HOUR)

    # -- people
    def users(self) -> list[User]:
        n = self.scale.users
        kinds = _archetypes(n)
        removed = max(1, round(n * 0.04))
        kinds += ["removed"] * removed
        users: list[User] = []
        seen: set[str] = set()
        for idx, kind in enumerate(kinds):
            if kind == "service":
                name, local = "Integrations Bot", "integrations"
            else:
                first = self.rng.choice(self.names[0])
                last = self.rng.choice(self.names[1])
                name, local = f"{first} {last}", f"{first}.{last}".lower()
            local = re.sub(r"[^a-z0-9.]", "", local)
            base, k = local, 2
            while local in seen:
                local, k = f"{base}{k}", k + 1
            seen.add(local)
            joined_d, meet, edit, log = _signal_plan(kind, self.rng, self.history)
            joined = self.days_ago(joined_d) - self.jitter()
            user = User(
                idx=idx,
                name=name,
                slug=local.replace(".", "-"),
                email=f"{local}@{self.domain}",
                timezone=self.rng.choice(TIMEZONES),
                locale=self.rng.choice(LOCALES),
                time_notation=self.rng.choice(("12h", "12h", "24h")),
                created_us=joined - self.rng.randrange(0, 3 * US_PER_DAY),
                updated_us=joined,
                role="user",
                archetype=kind,
                joined_us=joined,
                meet_d=meet,
                edit_d=edit,
                log_d=log,
            )
            user.updated_us = user.created_us + self.rng.randrange(0, US_PER_DAY)
            if kind == "removed":
                user.meet_d = None
                user.removed_us = self.days_ago(self.rng.randint(40, max(41, self.history - 10)))
            users.append(user)
        users[0].role = "owner"
        for u in users:
            if u.archetype in ("service", "log_only"):
                u.role = "admin"
        candidates = [u for u in users[1:] if u.archetype in ("power", "regular")]
        for u in candidates[: max(1, len(users) // 30)]:
            u.role = "admin"
        return users

    def groups(self, users: list[User]) -> tuple[list[Group], list[Relationship]]:
        count = 3 if len(users) < 40 else len(GROUP_NAMES)
        groups = []
        for i in range(count):
            created = self.days_ago(self.rng.randint(self.history + 40, self.history + 400))
            groups.append(Group(i, GROUP_NAMES[i], created, created + self.jitter()))
        rels: list[Relationship] = []
        for u in users:
            if u.archetype in ("service", "never", "removed") or u.removed_us:
                continue
            u.group = self.rng.randrange(count)
        for g in groups:
            members = [u for u in users if u.group == g.idx]
            candidates = [u for u in members if u.archetype in ("power", "regular")]
            if candidates:
                self.rng.choice(candidates).group_admin = True
        for u in users:
            if u.group is None:
                continue
            created = max(u.joined_us, groups[u.group].created_us) + self.jitter()
            rels.append(
                Relationship(len(rels), u.group, "membership", u.idx, "member", created, created)
            )
            if u.group_admin:
                rels.append(
                    Relationship(
                        len(rels), u.group, "membership", u.idx, "admin", created + 1, created + 1
                    )
                )
        return groups, rels

    def invitations(
        self, users: list[User], rels: list[Relationship], groups: list[Group]
    ) -> list[Invitation]:
        invs: list[Invitation] = []
        for u in users:
            joiner = u.archetype in ("new_active", "new_quiet")
            if joiner or (self.rng.random() < 0.1 and u.idx > 0):
                if u.archetype == "removed":
                    continue
                sent = u.joined_us - self.rng.randrange(US_PER_HOUR, 3 * US_PER_DAY)
                invs.append(
                    Invitation(len(invs), u.email, "accepted", sent, u.joined_us, sent, u.idx)
                )
        n_pending = max(2, round(len(users) * 0.055))
        for i in range(n_pending + max(1, n_pending // 4)):
            first = self.rng.choice(self.names[0])
            last = self.rng.choice(self.names[1])
            email = f"{first}.{last}.{i}@{self.domain}".lower()
            created = self.days_ago(self.rng.randint(1, 40)) - self.jitter()
            if i < n_pending:
                resent = created + self.rng.randrange(0, 2) * 3 * US_PER_DAY
                resent = min(resent, self.now - US_PER_HOUR)
                inv = Invitation(len(invs), email, "pending", created, resent, resent, None)
                if i % 3 == 0:
                    inv.group = self.rng.randrange(len(groups))
                    rels.append(
                        Relationship(
                            len(rels), inv.group, "invitation", inv.idx, "member", created, created
                        )
                    )
            else:
                updated = created + self.rng.randrange(US_PER_HOUR, 2 * US_PER_DAY)
                inv = Invitation(len(invs), email, "declined", created, updated, created, None)
            invs.append(inv)
        return invs

    # -- event types
    def event_types(self, users: list[User], groups: list[Group]) -> list[EventType]:
        ets: list[EventType] = []
        rng = self.rng
        conf = ("zoom_conference", "google_conference", "microsoft_teams_conference")

        def add(owner: User | None, group: int | None, name: str, **kw: object) -> EventType:
            hosts = kw.pop("hosts", [owner.idx] if owner else [])
            et = EventType(
                idx=len(ets),
                name=name,
                slug=_slugify(name) + f"-{len(ets)}",
                kind=kw.pop("kind", "solo"),
                pooling_type=kw.pop("pooling_type", None),
                booking_method=kw.pop("booking_method", "instant"),
                secret=kw.pop("secret", False),
                admin_managed=kw.pop("admin_managed", False),
                is_paid=kw.pop("is_paid", False),
                duration=kw.pop("duration", 30),
                duration_options=kw.pop("duration_options", None),
                custom_questions=kw.pop("custom_questions", []),
                locations=kw.pop("locations"),
                owner_user=owner.idx if owner else None,
                owner_group=group,
                hosts=hosts,
                created_us=0,
                updated_us=0,
                color=rng.choice(COLORS),
                position=len(ets) % 7,
                **kw,
            )
            if et.duration_options is None:
                et.duration_options = [et.duration]
            ets.append(et)
            return et

        for u in users:
            if u.archetype not in TYPED_ARCHETYPES:
                continue
            pref = rng.choice(conf)
            mine = [add(u, None, "30 Minute Meeting", locations=[pref])]
            if u.archetype == "power":
                mine.append(
                    add(
                        u,
                        None,
                        "Intro Call",
                        duration_options=[15, 30, 45],
                        custom_questions=[_question("What would you like to discuss?", True)],
                        locations=[pref, "outbound_call"],
                    )
                )
                mine.append(
                    add(
                        u,
                        None,
                        "Office Hours",
                        kind="group",
                        limit=10,
                        duration=60,
                        locations=[rng.choice(("physical", "webex_conference"))],
                    )
                )
                if rng.random() < 0.5:
                    mine.append(
                        add(
                            u,
                            None,
                            "Paid Consultation",
                            secret=True,
                            is_paid=True,
                            duration=60,
                            locations=["gotomeeting_conference", "inbound_call"],
                        )
                    )
                if rng.random() < 0.35:
                    mine.append(
                        add(
                            u, None, "Find a Time", booking_method="poll", locations=["ask_invitee"]
                        )
                    )
                if rng.random() < 0.35:
                    mine.append(
                        add(u, None, "Coffee Chat", duration=20, locations=["custom", "physical"])
                    )
            elif u.archetype in ("regular", "new_active", "removed") and rng.random() < 0.5:
                mine.append(
                    add(u, None, "Quick Chat", duration=15, locations=["outbound_call", pref])
                )
            if u.archetype in ("power", "regular") and rng.random() < 0.12:
                mine.append(
                    add(
                        u,
                        None,
                        "Customer Onboarding",
                        admin_managed=True,
                        duration=45,
                        locations=["zoom_conference"],
                        custom_questions=[_question("Company size", False, "single_select")],
                    )
                )
            self._stamp_user_types(u, mine)

        pools: dict[int, list[int]] = {}
        for u in users:
            if u.group is not None and u.archetype in ("power", "regular", "cooling", "idle"):
                pools.setdefault(u.group, []).append(u.idx)
        team_specs = (
            (
                "Sales Demo",
                "round_robin",
                {"routing_target": True, "locations": ["zoom_conference"]},
            ),
            (
                "Support Escalation",
                "round_robin",
                {
                    "routing_target": True,
                    "locations": ["microsoft_teams_conference", "inbound_call"],
                },
            ),
            ("Panel Interview", "collective", {"duration": 60, "locations": ["google_conference"]}),
        )
        for gi, (name, pooling, extra) in enumerate(team_specs):
            group = gi % len(groups)
            hosts = pools.get(group, [])
            if pooling == "collective":
                hosts = [h for h in hosts if users[h].archetype == "power"]
            if len(hosts) < 2:
                hosts = [u.idx for u in users if u.archetype == "power" and u.removed_us is None][
                    :4
                ]
            created = self.days_ago(self.rng.randint(self.history + 5, self.history + 300))
            et = add(None, group, name, pooling_type=pooling, hosts=sorted(hosts), **dict(extra))
            et.created_us = created
            et.updated_us = self.days_ago(self.rng.randint(3, 200)) - self.jitter()
        for u in users:
            if u.removed_us is not None:
                for et in ets:
                    if et.owner_user == u.idx:
                        et.active, et.deleted_us = False, u.removed_us
                        et.updated_us = max(et.updated_us, u.removed_us)
        return ets

    def _stamp_user_types(self, u: User, mine: list[EventType]) -> None:
        """created/updated of a member's types: the latest edit lands exactly `edit_d` days ago."""
        if u.edit_d is None:
            cap = u.removed_us - US_PER_DAY if u.removed_us else self.now
        else:
            cap = self.days_ago(u.edit_d) - self.rng.randrange(US_PER_HOUR, 20 * US_PER_HOUR)
        for i, et in enumerate(mine):
            created = u.joined_us + self.rng.randrange(US_PER_HOUR, 2 * US_PER_DAY)
            created = min(created, cap - US_PER_HOUR)
            latest = cap if i == 0 else self.rng.randrange(created, cap)
            et.created_us, et.updated_us = created, max(created, latest)

    # -- scheduled events
    def events(self, users: list[User], ets: list[EventType]) -> Events:
        hosted: dict[int, list[EventType]] = {}
        for et in ets:
            for h in et.hosts:
                hosted.setdefault(h, []).append(et)
        weights = {
            "power": 10.0,
            "regular": 3.0,
            "cooling": 1.2,
            "idle": 1.0,
            "new_active": 2.0,
            "removed": 2.0,
        }
        span = {}
        for u in users:
            if u.archetype not in weights or not hosted.get(u.idx):
                continue
            if u.meet_d is None and u.archetype != "removed":
                continue
            begin = max(self.hist_start, u.joined_us)
            end = u.removed_us or self.days_ago(u.meet_d or 0)
            span[u.idx] = max(0.0, (end - begin) / US_PER_DAY) * weights[u.archetype]
        total = sum(span.values()) or 1.0
        cols: dict[str, list[np.ndarray]] = {name: [] for name in _EVENT_COLUMNS}
        width = max(len(et.locations) for et in ets)
        tables = {
            "limit": np.asarray([et.limit for et in ets], dtype=np.int8),
            "paid": np.asarray([et.is_paid for et in ets]),
            "routing": np.asarray([et.routing_target for et in ets]),
            "duration": np.asarray([et.duration for et in ets], dtype=np.int32),
            "locs": (
                np.asarray(
                    [
                        [LOCATION_CODE[et.locations[i % len(et.locations)]] for i in range(width)]
                        for et in ets
                    ],
                    dtype=np.int8,
                ),
                np.asarray([len(et.locations) for et in ets]),
            ),
        }
        # largest remainder, so the org holds exactly `scale.events` bookings
        quotas = {uidx: self.scale.events * weight / total for uidx, weight in span.items()}
        counts = {uidx: int(q) for uidx, q in quotas.items()}
        short = self.scale.events - sum(counts.values())
        for uidx in sorted(quotas, key=lambda i: (counts[i] - quotas[i], i))[:short]:
            counts[uidx] += 1
        for uidx, n in counts.items():
            u = users[uidx]
            n = max(n, 1 if u.meet_d is not None else 0)
            if n == 0:
                continue
            part = self._member_events(u, n, hosted[uidx], users)
            cols_part = self._decorate(u, part, tables)
            for name in _EVENT_COLUMNS:
                cols[name].append(cols_part[name])
        merged = {
            name: np.concatenate(cols[name]).astype(_DTYPES[name])
            if cols[name]
            else np.zeros(0, dtype=_DTYPES[name])
            for name in _EVENT_COLUMNS
        }
        # Renumber by (start, generation order) so event ids follow time; remap the links.
        perm = np.lexsort((np.arange(len(merged["start"])), merged["start"]))
        inverse = np.empty_like(perm)
        inverse[perm] = np.arange(len(perm))
        for name in _EVENT_COLUMNS:
            merged[name] = merged[name][perm]
        for link in ("resched_to", "resched_from"):
            col = merged[link]
            mask = col >= 0
            col[mask] = inverse[col[mask]]
        return Events(**merged)

    def _member_events(self, u: User, n: int, types: list[EventType], users: list[User]) -> dict:
        """Start, creation and event type of `n` events hosted by `u`, within its signal plan."""
        g = self.np
        begin = max(self.hist_start, u.joined_us + US_PER_DAY)
        cutoff = u.removed_us - US_PER_DAY if u.removed_us is not None else self.days_ago(u.meet_d)
        n_future = 0
        if u.removed_us is None and u.meet_d <= 10:
            n_future = int(n * 30 / max(30, (cutoff - begin) / US_PER_DAY + 30))
        n_past = max(1, n - n_future)
        days = g.uniform(0, max(1, (cutoff - begin) / US_PER_DAY), n_past)
        day0 = begin - (begin % US_PER_DAY)
        starts = day0 + (days.astype(np.int64) * US_PER_DAY)
        starts += (
            g.integers(13, 22, n_past) * US_PER_HOUR + g.integers(0, 4, n_past) * 15 * 60_000_000
        )
        starts = np.clip(starts, begin, cutoff - US_PER_HOUR)
        starts -= starts % (15 * 60_000_000)
        # the anchor: the latest signal of this member is exactly meet_d days ago
        if u.removed_us is None:
            starts[0] = cutoff - g.integers(1, 20) * US_PER_HOUR
        lead = np.clip(
            g.exponential(5 * US_PER_DAY, n_past), US_PER_HOUR // 2, 40 * US_PER_DAY
        ).astype(np.int64)
        created = starts - lead
        if n_future:
            fstarts = self.now + g.integers(1, 30 * 24, n_future) * US_PER_HOUR
            fstarts -= fstarts % (15 * 60_000_000)
            lo = np.maximum(fstarts - 40 * US_PER_DAY, u.joined_us)
            fcreated = lo + (g.random(n_future) * np.maximum(0, cutoff - lo)).astype(np.int64)
            starts = np.concatenate([starts, fstarts])
            created = np.concatenate([created, fcreated])
        created = np.maximum(created, u.joined_us + US_PER_HOUR)
        created = np.minimum(created, starts - US_PER_HOUR // 2)
        created += g.integers(0, 60_000_000, len(created))  # sub-minute noise, no ties
        created = np.minimum(created, np.minimum(starts, cutoff) - 1)
        band_lo, band_hi = self.days_ago(ADOPTION_BAND[1]), self.days_ago(ADOPTION_BAND[0])
        in_band = (created > band_lo) & (created <= band_hi)
        created[in_band] = band_lo - g.integers(US_PER_HOUR, 2 * US_PER_DAY, int(in_band.sum()))
        keep = created >= u.joined_us
        keep[0] = True
        starts, created = starts[keep], created[keep]
        weights = np.asarray([4.0 if t.name == "30 Minute Meeting" else 1.5 for t in types])
        et_local = g.choice(len(types), size=len(starts), p=weights / weights.sum())
        et_idx = np.asarray([t.idx for t in types], dtype=np.int32)[et_local]
        host1 = np.full(len(starts), -1, dtype=np.int32)
        for i in np.flatnonzero([types[k].pooling_type == "collective" for k in et_local]):
            host1[i] = self._cohost(u, types[et_local[i]], int(starts[i]), int(created[i]), users)
            if host1[i] < 0:
                et_idx[i] = types[0].idx if types[0].pooling_type is None else et_idx[i]
        return {"start": starts, "created": created, "et": et_idx, "host1": host1}

    def _cohost(self, u: User, et: EventType, start: int, created: int, users: list[User]) -> int:
        """A second host whose own signal plan allows this event, or -1."""
        options = [h for h in et.hosts if h != u.idx]
        self.rng.shuffle(options)
        for h in options:
            other = users[h]
            if other.meet_d is None or other.removed_us is not None:
                continue
            cutoff = self.days_ago(other.meet_d)
            past_ok = start > self.now or start <= cutoff
            if past_ok and created <= cutoff and created >= other.joined_us:
                return h
        return -1

    def _decorate(self, u: User, part: dict, tables: dict) -> dict:
        """Statuses, cancellations, reschedules, invitees and feature flags of a member's events."""
        g = self.np
        et_limit, et_paid, et_routing = tables["limit"], tables["paid"], tables["routing"]
        et_loc_choices, et_duration = tables["locs"], tables["duration"]
        starts, created, et_idx = part["start"], part["created"], part["et"]
        n = len(starts)
        canceled = g.random(n) < 0.08
        canceled[0] = False
        canceler = np.where(canceled, np.where(g.random(n) < 0.4, 1, 2), 0)
        limit = et_limit[et_idx]
        n_inv = np.where(limit > 1, g.integers(1, 7, n), 1)
        canceler = np.where(canceled & (n_inv > 1), 1, canceler)
        cancel_end = np.minimum(starts, self.now)
        canceled_at = np.where(
            canceled,
            created + (g.random(n) * np.maximum(0, cancel_end - created)).astype(np.int64),
            0,
        )
        rich = u.archetype == "power"
        flags = np.zeros(n, dtype=np.uint32)
        past = starts < self.now - US_PER_HOUR
        flags |= np.where(et_paid[et_idx] & (g.random(n) < 0.95), BIT["payments"], 0).astype(
            np.uint32
        )
        flags |= np.where(g.random(n) < (0.25 if rich else 0.06), BIT["utm_tracking"], 0).astype(
            np.uint32
        )
        flags |= np.where(
            past & ~canceled & (g.random(n) < 0.05), BIT["no_show_marking"], 0
        ).astype(np.uint32)
        flags |= np.where(g.random(n) < (0.06 if rich else 0.015), BIT["reconfirmation"], 0).astype(
            np.uint32
        )
        flags |= np.where(et_routing[et_idx] & (g.random(n) < 0.4), BIT["routing_forms"], 0).astype(
            np.uint32
        )
        flags |= np.where(g.random(n) < (0.08 if rich else 0.02), BIT["text_reminders"], 0).astype(
            np.uint32
        )
        flags |= np.where(g.random(n) < 0.1, GUESTS_BIT, 0).astype(np.uint32)
        loc_table, loc_count = et_loc_choices
        pick = (g.random(n) * loc_count[et_idx]).astype(np.int64)
        loc = loc_table[et_idx, pick]
        resched_to = np.full(n, -1, dtype=np.int64)
        resched_from = np.full(n, -1, dtype=np.int64)
        offset = self._offset
        # reschedules: a canceled-by-invitee one-on-one points at a later booking of the same type
        solo_pairs = np.flatnonzero(canceled & (canceler == 2) & (n_inv == 1) & past)
        for i in solo_pairs[: max(0, len(solo_pairs) // 2)]:
            later = np.flatnonzero(
                (starts > starts[i])
                & (created < starts[i])
                & (created > canceled_at[i])
                & ~canceled
                & (et_idx == et_idx[i])
                & (resched_from < 0)
            )
            if len(later):
                j = int(later[0])
                resched_to[i], resched_from[j] = offset + j, offset + i
                canceled_at[i] = created[j]
        self._offset += n
        updated = np.maximum(created, canceled_at)
        return {
            "start": starts,
            "duration": et_duration[et_idx],
            "created": created,
            "updated": updated,
            "canceled_at": canceled_at,
            "et": et_idx,
            "host0": np.full(n, u.idx, dtype=np.int32),
            "host1": part["host1"],
            "status": canceled.astype(np.int8),
            "canceler": canceler.astype(np.int8),
            "n_inv": n_inv.astype(np.int8),
            "loc": loc,
            "flags": flags,
            "resched_to": resched_to,
            "resched_from": resched_from,
            "deleted": np.zeros(n, dtype=bool),
        }

    # -- the rest
    def webhooks(self, users: list[User], groups: list[Group]) -> list[Webhook]:
        hooks: list[Webhook] = []
        band = (self.days_ago(ADOPTION_BAND[1]), self.days_ago(ADOPTION_BAND[0]))

        def when(u: User) -> int:
            t = self.rng.randrange(max(u.joined_us, self.hist_start), self.now - US_PER_DAY)
            return band[0] - US_PER_DAY if band[0] < t <= band[1] else t

        service = next(u for u in users if u.archetype == "service")
        for i, evts in enumerate(
            (["invitee.created", "invitee.canceled"], ["routing_form_submission.created"])
        ):
            t = when(service)
            hooks.append(
                Webhook(
                    len(hooks),
                    f"https://hooks.{self.domain}/calendly/{i}",
                    evts,
                    "organization",
                    None,
                    None,
                    service.idx,
                    "active",
                    t,
                    t,
                )
            )
        for u in users:
            if u.archetype == "power" and u.removed_us is None and self.rng.random() < 0.3:
                t = when(u)
                state = "disabled" if self.rng.random() < 0.2 else "active"
                hook = Webhook(
                    len(hooks),
                    f"https://crm.{self.domain}/hooks/{u.slug}",
                    ["invitee.created", "invitee.canceled", "invitee_no_show.created"],
                    "user",
                    u.idx,
                    None,
                    u.idx,
                    state,
                    t,
                    t,
                )
                if state == "disabled":
                    hook.retry_started_us = hook.updated_us = t + US_PER_DAY
                hooks.append(hook)
        admins = [u for u in users if u.group_admin]
        if admins:
            u = admins[0]
            t = when(u)
            hooks.append(
                Webhook(
                    len(hooks),
                    f"https://ops.{self.domain}/calendly-group",
                    ["invitee.created"],
                    "group",
                    None,
                    u.group,
                    u.idx,
                    "active",
                    t,
                    t,
                )
            )
        return hooks

    def routing(
        self, ets: list[EventType], events: Events
    ) -> tuple[list[RoutingForm], list[Submission]]:
        forms: list[RoutingForm] = []
        targets = [et for et in ets if et.routing_target]
        for et in targets:
            created = et.created_us + US_PER_DAY
            forms.append(
                RoutingForm(
                    len(forms),
                    f"{et.name} Request",
                    "published",
                    _form_questions(et.name),
                    et.idx,
                    created,
                    created + self.jitter(),
                )
            )
        created = self.days_ago(self.rng.randint(40, 200))
        forms.append(
            RoutingForm(
                len(forms),
                "Partner Inquiry",
                "draft",
                _form_questions("Partner"),
                None,
                created,
                created + self.jitter(),
            )
        )
        form_of = {f.target_et: f.idx for f in forms if f.target_et is not None}
        subs: list[Submission] = []
        routed = np.flatnonzero((events.flags & BIT["routing_forms"]) != 0)
        extra = self.np.random(len(routed)) < 0.25
        for eid, unbooked in zip(routed.tolist(), extra.tolist(), strict=True):
            form = form_of[int(events.et[eid])]
            subs.append(
                Submission(
                    len(subs), form, int(events.created[eid]) - 120_000_000, eid, "event_type"
                )
            )
            if unbooked:
                t = int(events.created[eid]) - self.rng.randrange(US_PER_HOUR, 5 * US_PER_DAY)
                subs.append(
                    Submission(
                        len(subs), form, t, -1, self.rng.choice(("external_url", "custom_message"))
                    )
                )
        return forms, subs

    def activity(self, users: list[User]) -> list[ActivityEntry]:
        entries: list[ActivityEntry] = []
        actions = {
            "admin": (
                ("Organization", "MemberInvited"),
                ("Organization", "SettingsUpdated"),
                ("User", "Login"),
                ("Routing", "FormPublished"),
                ("Organization", "MemberRoleChanged"),
            ),
            "user": (
                ("User", "Login"),
                ("User", "ProfileUpdated"),
                ("Security", "TwoFactorEnabled"),
            ),
            "service": (("Integration", "TokenUsed"), ("Webhook", "SubscriptionChecked")),
        }
        for u in users:
            if u.log_d is None:
                continue
            kind = (
                "service" if u.archetype == "service" else ("admin" if u.role != "user" else "user")
            )
            cap = self.days_ago(u.log_d) - self.rng.randrange(US_PER_HOUR, 20 * US_PER_HOUR)
            begin = max(self.hist_start, u.joined_us)
            count = {"service": 60, "admin": 25, "user": 6}[kind]
            times = [cap] + [self.rng.randrange(begin, cap) for _ in range(count - 1)]
            for t in times:
                ns, action = self.rng.choice(actions[kind])
                entries.append(
                    ActivityEntry(
                        0,
                        t,
                        u.idx,
                        ns,
                        action,
                        {"ip_country": self.rng.choice(("US", "GB", "DE", "FR"))},
                    )
                )
        entries.sort(key=lambda e: e.occurred_us)
        for i, e in enumerate(entries):
            e.idx = i
        return entries


def type_edit(idx: int, et: EventType, at_us: int, admin: int) -> ActivityEntry:
    """The activity-log entry of an event type's edit: by the owner, or for a managed type (the
    organization manages it) by the admin, which is what crediting edits by the log is for."""
    actor = admin if et.admin_managed else et.owner_user
    return ActivityEntry(idx, at_us, actor, "EventType", "Updated", {}, et.idx)


# How the sandbox names a member's removal in the activity log. Calendly's spec enumerates no
# namespace/action (its one example is `User.Add`): this mirrors it and is the pipeline's default
# guess (`SyncSettings.removal_entry_names`), not a documented Calendly value.
REMOVAL_ENTRY = ("User", "Remove")


def removal_entry(idx: int, member: int, at_us: int, admin: int) -> ActivityEntry:
    """The activity-log entry of the admin removing `member` at `at_us`."""
    namespace, action = REMOVAL_ENTRY
    return ActivityEntry(idx, at_us, admin, namespace, action, {}, member=member)


def served_details(entry: ActivityEntry, users: list[User], uri: Callable[[str, int], str]) -> dict:
    """An entry's `details` as served: the event type edited, the member removed (by URI and
    e-mail, the keys the pipeline's `removal_member_keys` read first)."""
    details = dict(entry.details)
    if entry.event_type is not None:
        details["event_type"] = uri("event_type", entry.event_type)
    if entry.member is not None:
        details |= {"user": uri("user", entry.member), "email": users[entry.member].email}
    return details


def with_type_edits(
    entries: list[ActivityEntry], ets: list[EventType], admin: int, since_us: int
) -> list[ActivityEntry]:
    """The log plus the latest edit of every member-owned event type since the log's history
    starts (`since_us`), re-sorted and re-indexed (no random draw: the rest is unchanged)."""
    edits = [
        type_edit(0, et, et.updated_us, admin)
        for et in ets
        if et.owner_user is not None and et.updated_us >= since_us
    ]
    merged = sorted([*entries, *edits], key=lambda e: e.occurred_us)
    for i, e in enumerate(merged):
        e.idx = i
    return merged


def _question(name: str, required: bool, qtype: str = "text") -> dict:
    choices = ["1-10", "11-50", "51-200", "200+"] if qtype == "single_select" else []
    return {
        "name": name,
        "type": qtype,
        "position": 0,
        "enabled": True,
        "required": required,
        "answer_choices": choices,
        "include_other": False,
    }


def _form_questions(topic: str) -> list[dict]:
    return [
        {"name": "Your name", "type": "name", "required": True, "answer_choices": None},
        {"name": "Work email", "type": "email", "required": True, "answer_choices": None},
        {
            "name": f"What brings you to {topic}?",
            "type": "select",
            "required": False,
            "answer_choices": ["Pricing", "Technical question", "Partnership", "Other"],
        },
    ]


def build(seed: int, as_of: date, scale: Scale, plan: str, log_removals: bool = False) -> OrgData:
    """Generate the organization; pure function of its arguments. `log_removals`: the activity
    log records every removal (`SandboxConfig.log_removals`); no random draw, so the rest of the
    organization is the same either way."""
    b = _Builder(seed, as_of, scale, plan)
    users = b.users()
    groups, rels = b.groups(users)
    invitations = b.invitations(users, rels, groups)
    ets = b.event_types(users, groups)
    events = b.events(users, ets)
    forms, subs = b.routing(ets, events)
    webhooks = b.webhooks(users, groups)
    members = [u for u in users if u.removed_us is None]
    owner = members[0]
    admin = next(u for u in members if u.role == "admin" and u.archetype in ("power", "regular"))
    removals = [
        removal_entry(0, u.idx, u.removed_us, admin.idx)
        for u in users
        if u.removed_us is not None and log_removals
    ]
    activity = with_type_edits(b.activity(users) + removals, ets, admin.idx, b.hist_start)
    plain = next(u for u in members if u.role == "user" and u.archetype in ("power", "regular"))
    return OrgData(
        seed=seed,
        plan=plan,
        now_us=b.now,
        history_start_us=b.hist_start,
        org_name=b.org_name,
        org_created_us=b.days_ago(b.history + 1200),
        domain=b.domain,
        users=users,
        invitations=invitations,
        groups=groups,
        relationships=rels,
        event_types=ets,
        events=events,
        webhooks=webhooks,
        routing_forms=forms,
        submissions=subs,
        activity=activity,
        names=b.names,
        owner=owner.idx,
        admin=admin.idx,
        plain_user=plain.idx,
    )
