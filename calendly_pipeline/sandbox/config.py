"""Knobs of the sandbox: what organization to simulate and how badly the network should behave."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

PLANS = ("basic", "essentials", "standard", "professional", "teams", "enterprise")


@dataclass(frozen=True)
class Scale:
    """Size of the synthetic organization: members, scheduled events and days of history."""

    users: int
    events: int
    history_days: int

    def __post_init__(self) -> None:
        if not 8 <= self.users <= 100_000:
            raise ValueError(f"Scale.users must be 8..100000, got {self.users}")
        if self.events < 0:
            raise ValueError(f"Scale.events must not be negative, got {self.events}")
        if not 30 <= self.history_days <= 1500:
            raise ValueError(f"Scale.history_days must be 30..1500, got {self.history_days}")


SCALES = {
    "tiny": Scale(users=12, events=400, history_days=60),
    "default": Scale(users=142, events=25_000, history_days=365),
    "large": Scale(users=2_000, events=1_000_000, history_days=365),
}


@dataclass(frozen=True)
class FaultConfig:
    """Seeded misbehaviour; every knob defaults to off. Rates are shares of API requests (0..1)."""

    error_rate: float = 0.0
    latency_ms: int = 0
    latency_rate: float = 0.0
    drop_rate: float = 0.0
    burst_429: int = 0
    malformed_rate: float = 0.0
    repeat_page_token: bool = False
    seed: int = 0
    # Route templates the faults hit, e.g. "/scheduled_events/{uuid}/invitees"; empty: every API
    # path. Lets a test fail one step mid-load while the steps before it succeed.
    paths: tuple[str, ...] = ()
    # Retry-After (and X-RateLimit-Reset) of burst 429s; None: the real window's reset (up to 60 s).
    retry_after_seconds: int | None = None
    # Real-world variances of servers and proxies that are not Calendly (issue 13, "wild" mode).
    # Transport: headers a client must not rely on.
    no_date_header: bool = False  # no `Date` on any response
    no_rate_headers: bool = False  # no `X-RateLimit-*` on any response, 429s included
    no_retry_after: bool = False  # 429s carry no `Retry-After`
    # Length of the fixed rate window; the budget per window is `rate_limit_per_minute` scaled to
    # it (rounded up), so the average rate stays the same while the window's shape changes.
    rate_window_seconds: int = 60
    # Paging: counts are "the next N" requests that carry a `page_token` (on `paths`).
    expire_page_tokens: int = 0  # answered 400 `page_token`: "has expired"
    vanish_between_pages: int = 0  # lose their first record, as after an offset shift
    endless_page_tokens: bool = False  # pages after the first: empty, a fresh token each time
    empty_page_with_token: bool = False  # an empty page with a token before each later page
    stuck_page_tokens: bool = False  # every token serves the first page again, with a new token
    string_collection: bool = False  # `collection` served as a JSON string, not a list
    understated_total: bool = False  # a first page announces `total_count: 1` (where it has one)
    ignore_sort: bool = False  # `sort` is ignored: every list comes in its default order
    # Error messages (4xx/5xx, 429 included) echo the request's `Authorization` header.
    echo_token_in_errors: bool = False
    # The server's clock moves on by this many seconds with every API request, as a real
    # server's does during a run (the world's clock otherwise stands still between controls).
    clock_seconds_per_request: float = 0.0
    # The `message` of injected 5xx errors (None: Calendly's own wording); any text a proxy or
    # server might send: markup, escape sequences, a newline.
    error_message: str | None = None

    @classmethod
    def wild(cls, seed: int = 0, **knobs: object) -> FaultConfig:
        """The header-level variances a well-behaved client must survive end to end: no `Date`,
        no rate-limit headers, no `Retry-After`, a 1 s rate window (`knobs` add or override)."""
        preset: dict[str, object] = {
            "no_date_header": True,
            "no_rate_headers": True,
            "no_retry_after": True,
            "rate_window_seconds": 1,
        }
        return cls(seed=seed, **{**preset, **knobs})  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        for name in ("error_rate", "latency_rate", "drop_rate", "malformed_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"FaultConfig.{name} must be between 0 and 1, got {value}")
        if self.latency_ms < 0 or self.burst_429 < 0:
            raise ValueError("FaultConfig.latency_ms and burst_429 must not be negative")
        if self.retry_after_seconds is not None and self.retry_after_seconds < 1:
            raise ValueError("FaultConfig.retry_after_seconds must be at least 1")
        if self.rate_window_seconds < 1:
            raise ValueError("FaultConfig.rate_window_seconds must be at least 1")
        if self.expire_page_tokens < 0 or self.vanish_between_pages < 0:
            raise ValueError("FaultConfig.expire_page_tokens and vanish_between_pages must be >= 0")

    def applies_to(self, route: str) -> bool:
        """Whether faults hit this route template (see `paths`)."""
        return not self.paths or route in self.paths


# An event status outside the spec's `active|canceled`, as a newer API version might send.
UNKNOWN_EVENT_STATUS = "tentative"


@dataclass(frozen=True)
class WildData:
    """Data a real account may hold that our own generator never makes; every knob defaults to off.

    The pipeline meets these on real servers (docs/sandbox.md, "Wild data"); seeded, so the
    same knobs pick the same records. None of them changes the manifest's verdicts.
    """

    # Share of scheduled events served with a status the spec does not list
    # (`UNKNOWN_EVENT_STATUS`).
    unknown_event_status_rate: float = 0.0
    # The organization's `plan` served under this name (e.g. "enterprise_plus"); the world's own
    # plan gates stay those of `SandboxConfig.plan`.
    unknown_plan: str | None = None
    # One past group event (the seed picks it) gets this many invitees (up to 127), so an
    # invitee list pages past count=100.
    big_event_invitees: int = 0
    # One booked event type is left out of `/event_types` (as a type shared from outside the
    # organization would be) while `/event_types/{uuid}` still answers.
    unlisted_event_type: bool = False
    # Records other servers send that the spec would not: the organization without `name`, and
    # about one user, group and event type in four with `"name": null`.
    null_names: bool = False
    # Members (never a token holder) whose membership says `"user": null`, as when the user
    # record is gone but the seat is not.
    orphan_memberships: int = 0
    # Events of the week before as_of listed without `uri` (a malformed record in a listing).
    events_without_uri: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.unknown_event_status_rate <= 1.0:
            raise ValueError(
                "WildData.unknown_event_status_rate must be between 0 and 1, "
                f"got {self.unknown_event_status_rate}"
            )
        if self.orphan_memberships < 0 or self.events_without_uri < 0:
            raise ValueError("WildData.orphan_memberships and events_without_uri must be >= 0")
        if not 0 <= self.big_event_invitees <= 127:
            raise ValueError(
                f"WildData.big_event_invitees must be 0..127, got {self.big_event_invitees}"
            )


@dataclass(frozen=True)
class SandboxConfig:
    """What to simulate. Same (seed, as_of, scale) gives byte-identical pages (modulo base URL)."""

    seed: int = 42
    as_of: date | None = None
    scale: str | Scale = "default"
    plan: str = "enterprise"
    rate_limit_per_minute: int = 500
    faults: FaultConfig = field(default_factory=FaultConfig)
    wild: WildData = field(default_factory=WildData)
    # The activity log (served on Enterprise only) records each generated removal: an entry
    # `generate.REMOVAL_ENTRY` naming the removed member in `details` (docs/sandbox.md,
    # "Removals in the activity log"). Off: the log holds no removal, as before.
    log_removals: bool = False

    def __post_init__(self) -> None:
        if self.plan not in PLANS:
            raise ValueError(
                f"SandboxConfig.plan must be one of {', '.join(PLANS)}, got {self.plan!r}"
            )
        if isinstance(self.scale, str) and self.scale not in SCALES:
            raise ValueError(
                f"SandboxConfig.scale must be one of {', '.join(SCALES)} or a Scale, "
                f"got {self.scale!r}"
            )
        if self.rate_limit_per_minute < 0:
            raise ValueError("SandboxConfig.rate_limit_per_minute must be >= 0 (0 switches it off)")

    @property
    def resolved_scale(self) -> Scale:
        return SCALES[self.scale] if isinstance(self.scale, str) else self.scale

    @property
    def resolved_as_of(self) -> date:
        return self.as_of or datetime.now(UTC).date()
