"""Season-pass refund: paid - elapsed days x daily maximum, never below 0 (pure, no DB)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partners.refunds import RefundInputError, SeasonPassRefund, season_pass_refund

D = dt.date


def test_cancelled_on_the_start_day_counts_one_day():
    quote = season_pass_refund(
        paid=150_000, daily_max=20_000, starts_on=D(2025, 3, 1), cancelled_on=D(2025, 3, 1)
    )
    assert quote == SeasonPassRefund(
        paid=150_000, elapsed_days=1, daily_max=20_000, deduction=20_000, refund=130_000
    )


def test_both_the_start_and_the_cancellation_day_count():
    quote = season_pass_refund(
        paid=300_000, daily_max=12_000, starts_on=D(2025, 3, 1), cancelled_on=D(2025, 3, 10)
    )
    assert quote.elapsed_days == 10
    assert quote.deduction == 120_000
    assert quote.refund == 180_000


def test_leap_day_is_a_day():
    quote = season_pass_refund(
        paid=100_000, daily_max=1_000, starts_on=D(2024, 2, 28), cancelled_on=D(2024, 3, 1)
    )
    assert quote.elapsed_days == 3


def test_exactly_used_up_is_zero():
    quote = season_pass_refund(
        paid=50_000, daily_max=10_000, starts_on=D(2025, 1, 1), cancelled_on=D(2025, 1, 5)
    )
    assert quote.refund == 0


def test_used_longer_than_paid_for_is_zero_not_negative():
    quote = season_pass_refund(
        paid=100_000, daily_max=15_000, starts_on=D(2025, 1, 1), cancelled_on=D(2025, 1, 31)
    )
    assert quote.elapsed_days == 31
    assert quote.deduction == 465_000  # what the customer is told (경과일 수 x 일최대요금)
    assert quote.refund == 0


def test_zero_amounts():
    free = season_pass_refund(
        paid=0, daily_max=10_000, starts_on=D(2025, 1, 1), cancelled_on=D(2025, 1, 2)
    )
    assert free.refund == 0
    no_daily_fee = season_pass_refund(
        paid=90_000, daily_max=0, starts_on=D(2025, 1, 1), cancelled_on=D(2025, 1, 20)
    )
    assert no_daily_fee.deduction == 0
    assert no_daily_fee.refund == 90_000


def test_cancellation_before_start_is_refused_in_korean():
    with pytest.raises(RefundInputError, match="해지일") as exc:
        season_pass_refund(paid=1, daily_max=1, starts_on=D(2025, 3, 2), cancelled_on=D(2025, 3, 1))
    assert exc.value.field == "cancelled_on"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("paid", -1, "0원 이상"),
        ("daily_max", -500, "0원 이상"),
        ("paid", 1000.0, "정수"),
        ("paid", Decimal("1000"), "정수"),
        ("paid", "1000", "정수"),
        ("daily_max", True, "정수"),
        ("daily_max", None, "정수"),
    ],
)
def test_bad_amounts_are_refused_in_korean(field, value, message):
    kwargs = {
        "paid": 10_000,
        "daily_max": 1_000,
        "starts_on": D(2025, 1, 1),
        "cancelled_on": D(2025, 1, 2),
    }
    kwargs[field] = value
    with pytest.raises(RefundInputError, match=message) as exc:
        season_pass_refund(**kwargs)
    assert exc.value.field == field


@pytest.mark.parametrize("field", ["starts_on", "cancelled_on"])
def test_dates_must_be_dates(field):
    kwargs = {
        "paid": 10_000,
        "daily_max": 1_000,
        "starts_on": D(2025, 1, 1),
        "cancelled_on": D(2025, 1, 2),
    }
    kwargs[field] = dt.datetime(2025, 1, 1, 9, 0)
    with pytest.raises(RefundInputError, match="날짜"):
        season_pass_refund(**kwargs)


amounts = st.integers(min_value=0, max_value=10_000_000)
days = st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31))


@given(
    paid=amounts, daily_max=amounts, start=days, used=st.integers(0, 400), later=st.integers(0, 30)
)
def test_refund_never_negative_never_above_paid_and_never_grows_with_time(
    paid, daily_max, start, used, later
):
    early = season_pass_refund(
        paid=paid,
        daily_max=daily_max,
        starts_on=start,
        cancelled_on=start + dt.timedelta(days=used),
    )
    late = season_pass_refund(
        paid=paid,
        daily_max=daily_max,
        starts_on=start,
        cancelled_on=start + dt.timedelta(days=used + later),
    )
    assert 0 <= early.refund <= paid
    assert late.refund <= early.refund
    assert late.elapsed_days - early.elapsed_days == later
    assert early.refund == max(0, paid - early.deduction)
