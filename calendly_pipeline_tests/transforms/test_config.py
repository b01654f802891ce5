"""Configuration is validated up front: a typo must fail loudly, not change who counts as idle."""

from __future__ import annotations

import pytest

from calendly_pipeline.transforms.features import PLANS
from calendly_pipeline.transforms.utilization_config import (
    DEFAULT_PRICE_PER_SEAT_MONTH,
    UtilizationConfig,
)


def test_defaults_cover_every_plan_and_show_in_metadata() -> None:
    config = UtilizationConfig()
    assert set(DEFAULT_PRICE_PER_SEAT_MONTH) == set(PLANS)
    meta = config.as_metadata()
    assert meta["idle_days"] == 60 and meta["grace_days"] == 30 and meta["adoption_days"] == 90
    assert meta["currency"] == "USD" and meta["price_per_seat_month"]["basic"] == 0.0


@pytest.mark.parametrize("idle_days", [30, 60, 90])
def test_allowed_idle_thresholds(idle_days: int) -> None:
    assert UtilizationConfig(idle_days=idle_days).idle_days == idle_days


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"idle_days": 45}, "idle_days must be one of"),
        ({"grace_days": 0}, "grace_days"),
        ({"adoption_days": 1.5}, "adoption_days"),
        ({"review_margin_days": 60}, "review_margin_days"),
        ({"price_per_seat_month": {"platinum": 9.0}}, "unknown plan"),
        ({"price_per_seat_month": {"teams": -1.0}}, "finite prices"),
        ({"price_per_seat_month": {"teams": float("nan")}}, "finite prices"),
        ({"excluded_emails": "bot@acme.test"}, "tuple of e-mail addresses"),
        ({"excluded_emails": ("not-an-address",)}, "tuple of e-mail addresses"),
        ({"currency": "usd"}, "ISO 4217"),
    ],
)
def test_bad_config_names_the_problem(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UtilizationConfig(**kwargs)


def test_excluded_emails_are_normalised_and_config_is_immutable() -> None:
    config = UtilizationConfig(excluded_emails=(" Bot@Acme.TEST ", "bot@acme.test"))
    assert config.excluded_emails == ("bot@acme.test",)
    with pytest.raises(TypeError):
        config.price_per_seat_month["teams"] = 0.0  # type: ignore[index]


def test_missing_price_for_the_plan_is_an_error_not_zero() -> None:
    config = UtilizationConfig(price_per_seat_month={"teams": 16.0})
    assert config.price("teams") == 16.0
    with pytest.raises(ValueError, match="no price_per_seat_month for plan 'enterprise'"):
        config.price("enterprise")
