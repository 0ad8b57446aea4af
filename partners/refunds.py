"""Season-pass mid-term cancellation refund (seed 001 table 3, "경과일 수 x 일최대요금").

Pure: no database, no clock. Amounts are integer KRW.

    refund = paid - elapsed_days x daily_max, never below 0

Elapsed days count both the pass's start day and the cancellation day: a pass cancelled on the
day it starts has used one day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


class RefundInputError(ValueError):
    """Bad input for the calculator. ``field`` names the input; ``str(exc)`` is Korean."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SeasonPassRefund:
    paid: int
    elapsed_days: int
    daily_max: int
    #: elapsed_days x daily_max: the figure quoted to the customer (may exceed ``paid``).
    deduction: int
    refund: int


def _amount(field: str, label: str, value) -> int:
    # bool is an int subclass: True would silently mean 1 won.
    if isinstance(value, bool) or not isinstance(value, int):
        raise RefundInputError(field, f"{label}은(는) 원 단위 정수여야 합니다: {value!r}")
    if value < 0:
        raise RefundInputError(field, f"{label}은(는) 0원 이상이어야 합니다: {value:,}원")
    return value


def _day(field: str, label: str, value) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise RefundInputError(field, f"{label}은(는) 날짜여야 합니다: {value!r}")
    return value


def season_pass_refund(
    *, paid: int, daily_max: int, starts_on: dt.date, cancelled_on: dt.date
) -> SeasonPassRefund:
    """Refund of a season pass cancelled mid-term.

    ``paid``: amount the customer paid; ``daily_max``: the lot's daily maximum fee;
    ``starts_on``: first day of the pass; ``cancelled_on``: the day of cancellation.
    Raises :class:`RefundInputError` (Korean message) for non-integer or negative amounts and
    for a cancellation before the start day.
    """
    paid = _amount("paid", "결제 금액", paid)
    daily_max = _amount("daily_max", "일최대요금", daily_max)
    starts_on = _day("starts_on", "시작일", starts_on)
    cancelled_on = _day("cancelled_on", "해지일", cancelled_on)
    if cancelled_on < starts_on:
        raise RefundInputError(
            "cancelled_on",
            f"해지일({cancelled_on:%Y-%m-%d})이 정기권 시작일({starts_on:%Y-%m-%d})보다 빠릅니다.",
        )
    elapsed = (cancelled_on - starts_on).days + 1
    deduction = elapsed * daily_max
    return SeasonPassRefund(
        paid=paid,
        elapsed_days=elapsed,
        daily_max=daily_max,
        deduction=deduction,
        refund=max(0, paid - deduction),
    )
