"""Data-quality checks: bad raw data fails a check whose message names the offending rows."""

from __future__ import annotations

from datetime import date

from calendly_pipeline.transforms import check_verdicts
from calendly_pipeline.transforms.adoption import org_feature_adoption
from calendly_pipeline.transforms.utilization import seat_utilization
from calendly_pipeline.transforms.utilization_config import UtilizationConfig
from calendly_pipeline_tests.transforms.builders import AS_OF, sample_world

CONFIG = UtilizationConfig()


def test_clean_sample_passes_every_check() -> None:
    frames = sample_world().frames()
    results = [
        check_verdicts.check_seat_arithmetic(seat_utilization(frames, CONFIG, AS_OF)),
        check_verdicts.check_adoption_shares(org_feature_adoption(frames, CONFIG, AS_OF)),
    ]
    assert all(passed for passed, _ in results), results


def test_seat_arithmetic_names_rows_with_another_status() -> None:
    seats = seat_utilization(sample_world().frames(), CONFIG, AS_OF)
    passed, message = check_verdicts.check_seat_arithmetic(seats)
    assert passed and "removed=1" in message
    broken = seats.assign(status=seats["status"].mask(seats.index == 2, "zombie"))
    passed, message = check_verdicts.check_seat_arithmetic(broken)
    assert not passed and seats["seat_id"].iloc[2] in message and "zombie" in message


def test_adoption_share_outside_unit_interval_is_named() -> None:
    org = org_feature_adoption(sample_world().frames(), CONFIG, AS_OF)
    broken = org.assign(adoption_share=org["adoption_share"].mask(org.index == 0, 1.5))
    passed, message = check_verdicts.check_adoption_shares(broken)
    assert not passed and org["feature"].iloc[0] in message and "1.500" in message


def test_partition_freshness() -> None:
    days = [date(2026, 6, d) for d in range(1, 30)]
    assert check_verdicts.check_partition_freshness(days, AS_OF)[0]
    passed, message = check_verdicts.check_partition_freshness(days[:-3], AS_OF)
    assert not passed and "2026-06-26 is 4 days behind 2026-06-30" in message
    passed, message = check_verdicts.check_partition_freshness(
        [d for d in days if d.day != 10] + ["2026-06-30"], AS_OF
    )
    assert not passed and "missing partition(s): 2026-06-10" in message
    assert not check_verdicts.check_partition_freshness([], AS_OF)[0]
