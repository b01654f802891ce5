"""Utilization rules that an IT or finance owner may tune; validated up front so a typo fails the
run instead of quietly changing who counts as idle."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from calendly_pipeline.transforms.features import PLANS

IDLE_DAYS_ALLOWED = (30, 60, 90)
# Activity-log entries that record a member's removal, and the `details` keys naming the member.
# The spec enumerates neither (its one example entry is `User.Add` with empty details): these are
# our best guess, unverified against a real log; an administrator sets the real ones
# (docs/tables.md, "Removals before the first roster snapshot").
DEFAULT_REMOVAL_ENTRY_NAMES = ("User.Remove",)
DEFAULT_REMOVAL_MEMBER_KEYS = ("user", "user_uri", "user.uri", "email", "user_email", "user.email")
_ENTRY_NAME = re.compile(r"[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+")  # the spec's fully_qualified_name

# USD per seat per month, billed annually, from Calendly's public pricing page (2025): Free $0,
# Standard $10, Teams $16; legacy Essentials $8 and Professional $12. Enterprise is quoted per deal
# ("starts at $15k/year"); $20 is an assumption to override with the real contract price.
DEFAULT_PRICE_PER_SEAT_MONTH: Mapping[str, float] = MappingProxyType(
    {
        "basic": 0.0,
        "essentials": 8.0,
        "standard": 10.0,
        "professional": 12.0,
        "teams": 16.0,
        "enterprise": 20.0,
    }
)


@dataclass(frozen=True)
class UtilizationConfig:
    idle_days: int = 60
    grace_days: int = 30
    adoption_days: int = 90
    price_per_seat_month: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_PRICE_PER_SEAT_MONTH)
    )
    excluded_emails: tuple[str, ...] = ()
    currency: str = "USD"
    # The contract price of one seat per month, whatever the plan (the Launchpad setting
    # `seat_price_month`); None: the list price of the organization's plan.
    seat_price_month: float | None = None
    # An active seat this close to the idle threshold is flagged for review rather than kept.
    review_margin_days: int = 7
    # Whether passive use (an invitee booked the member's link) keeps a seat active. True: as
    # before issue 18; passive-only seats are still flagged `review`. False: only host actions.
    passive_counts_as_active: bool = True
    # `fully_qualified_name`s of the activity-log entries that record a member's removal (empty:
    # none is read), and the `details` keys, dotted for nested objects, whose values name the
    # removed member: a user URI or an e-mail address (transforms/removals.py).
    removal_entry_names: tuple[str, ...] = DEFAULT_REMOVAL_ENTRY_NAMES
    removal_member_keys: tuple[str, ...] = DEFAULT_REMOVAL_MEMBER_KEYS

    def __post_init__(self) -> None:
        if self.idle_days not in IDLE_DAYS_ALLOWED:
            raise ValueError(
                f"idle_days must be one of {list(IDLE_DAYS_ALLOWED)} (got {self.idle_days!r})"
            )
        for name in ("grace_days", "adoption_days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 366:
                raise ValueError(f"{name} must be a whole number of days in 1..366 (got {value!r})")
        if not isinstance(self.passive_counts_as_active, bool):
            raise ValueError(
                "passive_counts_as_active must be true or false "
                f"(got {self.passive_counts_as_active!r})"
            )
        margin = self.review_margin_days
        if not isinstance(margin, int) or not 0 <= margin < self.idle_days:
            raise ValueError(
                f"review_margin_days must be in 0..{self.idle_days - 1} (got {margin!r})"
            )
        prices = dict(self.price_per_seat_month)
        unknown = sorted(set(prices) - set(PLANS))
        if unknown:
            raise ValueError(f"price_per_seat_month has unknown plan(s) {unknown}; plans: {PLANS}")
        bad = {p: v for p, v in prices.items() if not _is_price(v)}
        if bad:
            raise ValueError(f"price_per_seat_month needs finite prices >= 0; bad: {bad}")
        if self.seat_price_month is not None:
            if not _is_price(self.seat_price_month):
                raise ValueError(
                    f"seat_price_month must be a finite price >= 0 (got {self.seat_price_month!r})"
                )
            object.__setattr__(self, "seat_price_month", float(self.seat_price_month))
        object.__setattr__(
            self, "price_per_seat_month", MappingProxyType({p: float(v) for p, v in prices.items()})
        )
        if isinstance(self.excluded_emails, str) or not all(
            isinstance(e, str) and "@" in e for e in self.excluded_emails
        ):
            raise ValueError(
                "excluded_emails must be a tuple of e-mail addresses "
                f"(got {self.excluded_emails!r})"
            )
        names, keys = self.removal_entry_names, self.removal_member_keys
        if isinstance(names, str) or not all(
            isinstance(n, str) and _ENTRY_NAME.fullmatch(n) for n in names
        ):
            raise ValueError(
                "removal_entry_names must be activity-log fully_qualified_names like "
                f"'Namespace.Action' (got {names!r})"
            )
        if isinstance(keys, str) or not all(isinstance(k, str) and k.strip() for k in keys):
            raise ValueError(f"removal_member_keys must be non-empty details keys (got {keys!r})")
        object.__setattr__(self, "removal_entry_names", tuple(names))
        object.__setattr__(self, "removal_member_keys", tuple(keys))
        normalised = tuple(sorted({e.strip().lower() for e in self.excluded_emails}))
        object.__setattr__(self, "excluded_emails", normalised)
        if not re.fullmatch(r"[A-Z]{3}", str(self.currency)):
            raise ValueError(
                f"currency must be an ISO 4217 code like 'USD' (got {self.currency!r})"
            )

    def price(self, plan: str | None) -> float | None:
        """Seat price: `seat_price_month` if set, else the configured price of the plan. A known
        plan without one is an error, never $0; a plan this code does not know (or none) has
        no list price here: None, reported as unknown rather than guessed."""
        if self.seat_price_month is not None:
            return self.seat_price_month
        if plan not in PLANS:
            return None
        if plan not in self.price_per_seat_month:
            raise ValueError(
                f"no price_per_seat_month for plan {plan!r}; configured: "
                f"{sorted(self.price_per_seat_month)}"
            )
        return self.price_per_seat_month[plan]

    def as_metadata(self) -> dict[str, Any]:
        """Plain values for Dagster metadata, so every run shows the rules it applied."""
        return {
            "idle_days": self.idle_days,
            "grace_days": self.grace_days,
            "adoption_days": self.adoption_days,
            "review_margin_days": self.review_margin_days,
            "price_per_seat_month": dict(self.price_per_seat_month),
            "excluded_emails": list(self.excluded_emails),
            "currency": self.currency,
            "seat_price_month": self.seat_price_month,
            "passive_counts_as_active": self.passive_counts_as_active,
            "removal_entry_names": list(self.removal_entry_names),
            "removal_member_keys": list(self.removal_member_keys),
        }


def _is_price(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )
