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
        }


def _is_price(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )
