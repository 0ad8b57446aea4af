"""Fixtures of the clock tests: staff per role (from the cases core tests), the fake playbook
with every kind of time promise, and a decided case made through the services."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.cases.conftest import staff  # noqa: F401  (fixture)
from tests.clocks import fakes
from tests.fines.conftest import _media, intake, ride  # noqa: F401  (fixtures: real fines)

SEOUL = ZoneInfo("Asia/Seoul")
#: Thursday 2 October 2025, 10:00: the day before the 추석 holidays (10-03 개천절, 10-06..08
#: 추석 + 대체공휴일, 10-09 한글날). The next business day is Friday 10-10.
AT = datetime(2025, 10, 2, 10, 0, tzinfo=SEOUL)


def kst(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


@pytest.fixture
def clock_playbook(monkeypatch):
    from django.urls import get_resolver

    from cases import playbooks

    get_resolver().url_patterns  # noqa: B018  (load the URLconf with the real registry first)
    monkeypatch.setitem(playbooks.PLAYBOOKS, fakes.CODE, fakes)
    return fakes


@pytest.fixture
def decided_case(staff, clock_playbook):  # noqa: F811
    """decided_case(at=..., actor=..., **facts) -> a case decided by the agent (assigned to them)."""
    from cases.services import case_create, case_decide

    numbers = itertools.count(5_000_001)

    def _make(*, at=AT, actor=None, **facts):
        actor = actor or staff.agent
        case = case_create(
            playbook=fakes.CODE,
            facts={"call_id": str(next(numbers)), **facts},
            channel="chatbot_board",
            actor=actor,
            customer_phone="010-0000-1234",
            at=at,
        ).case
        return case_decide(case=case, actor=actor, at=at)

    return _make
