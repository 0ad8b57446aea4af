"""Fixtures of the e-mail and Agit tests (issue 16 items 2, 3), imported by those test modules:
a real SMTP server on 127.0.0.1 (aiosmtpd) that records what it accepted and refuses or stalls
on demand, staff of the EV service, and a decided seed-003 case whose CPO mail step waits on the
CPO. (The SMS tests' fixtures are in conftest.py; the sandbox fixture is tests/sandbox's.)"""

from __future__ import annotations

import asyncio
import itertools
import socket
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2025, 10, 1, 10, 0, tzinfo=SEOUL)
EV_FACTS = {
    "case_type": "paid_not_charged",
    "station_name": "테스트 충전소",
    "station_kind": "non_direct",
    "charge_started_at": "2025-10-01T09:00:00+09:00",
    "charge_ended_at": "2025-10-01T09:40:00+09:00",
    "tid": "TID-0001",
    "kwh": "12.500",
    "amount": 5000,
    "cpo_name": "테스트CPO",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingHandler:
    """Accepts every message (keeps the raw bytes). ``data_answers`` / ``rcpt_answers`` plan
    refusals ("451 ..." once), ``sleep`` stalls the answer to DATA (a timeout after hand-over)."""

    def __init__(self):
        self.messages: list[SimpleNamespace] = []
        self.data_answers: list[str] = []
        self.rcpt_answers: list[str] = []
        self.sleep = 0.0
        self.data_calls = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_answers:
            return self.rcpt_answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_calls += 1
        if self.sleep:
            await asyncio.sleep(self.sleep)
        if self.data_answers:
            return self.data_answers.pop(0)
        self.messages.append(
            SimpleNamespace(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                raw=envelope.content,
            )
        )
        return "250 Message accepted for delivery"


def use_smtp(settings, port: int, timeout: float = 2.0) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = timeout


@pytest.fixture
def smtp_server(settings):
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    use_smtp(settings, port)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def people(make_user):
    from cases.services import staff_profile_set_services

    people = SimpleNamespace(
        agent=make_user("agent", username="ev_agent"),
        other_agent=make_user("agent", username="ev_agent_2"),
        lead=make_user("team_lead", username="ev_lead"),
    )
    for user in (people.agent, people.other_agent):
        staff_profile_set_services(user=user, services=["ev"], actor=people.lead)
    return people


@pytest.fixture
def ev_case(people):
    """ev_case(**facts) -> a seed-003 case (A: paid, not charged) decided by the agent and
    assigned to them: its step ``email_cpo`` waits on the CPO with a running clock."""
    from cases.services import case_create, case_decide

    numbers = itertools.count(1)

    def _make(**facts):
        n = next(numbers)
        case = case_create(
            playbook="ev_charging",
            facts={**EV_FACTS, "tid": f"TID-{n:04d}", **facts},
            channel="chat",
            actor=people.agent,
            customer_phone="010-0000-1234",
            assignee=people.agent,
            at=AT,
        ).case
        return case_decide(case=case, actor=people.agent, at=AT)

    return _make
