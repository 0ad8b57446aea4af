"""Helpers of the playbook tests: pure, no database (the playbooks do no I/O)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cases.playbooks.base import Campaign, StaticEnv

SEOUL = ZoneInfo("Asia/Seoul")

#: The seed's campaign window (000: 2024년 11월 27일(수) ~ 2024년 12월 31일(화)).
SEED_CAMPAIGN = Campaign(
    code="parking_ticket_coupon",
    name="타앱 주차권 이중결제 고객 T 주차권 권유 및 쿠폰 발행",
    starts_on=date(2024, 11, 27),
    ends_on=date(2024, 12, 31),
)


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


def strings_in(value: Any) -> Iterator[str]:
    """Every string anywhere inside a proposal (dataclasses, tuples, mappings, keys too)."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from strings_in(getattr(value, f.name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            yield from strings_in(item)


def step_codes(proposal) -> list[str]:
    return [step.code for step in proposal.steps]


def step(proposal, code: str):
    matches = [s for s in proposal.steps if s.code == code]
    assert len(matches) == 1, (code, step_codes(proposal))
    return matches[0]


@pytest.fixture
def campaign_env() -> StaticEnv:
    return StaticEnv(campaigns=(SEED_CAMPAIGN,))


@pytest.fixture
def no_campaign_env() -> StaticEnv:
    return StaticEnv()
