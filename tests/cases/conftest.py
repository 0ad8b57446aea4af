"""Fixtures of the cases core tests: staff per role with their services, a fake playbook,
its SMS templates, and a case factory that goes through ``case_create`` like intake does."""

from __future__ import annotations

import itertools
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tests.cases import fakes

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 12, 2, 10, 0, tzinfo=SEOUL)
CUSTOMER_PHONE = "010-0000-1234"
DRIVER_PHONE = "010-0000-5678"


@pytest.fixture
def staff(make_user):
    """One user per role; agents work the driver service, ``parking_agent`` parking only."""
    from cases.services import staff_profile_set_services

    people = SimpleNamespace(
        agent=make_user("agent", username="agent_a"),
        agent_b=make_user("agent", username="agent_b"),
        parking_agent=make_user("agent", username="agent_p"),
        lead=make_user("team_lead", username="lead"),
        deputy=make_user("deputy_lead", username="deputy"),
        manager=make_user("manager", username="manager"),
        auditor=make_user("auditor", username="auditor"),
        integration=make_user("integration", username="chatbot"),
    )
    for user in (people.agent, people.agent_b):
        staff_profile_set_services(user=user, services=["driver"], actor=people.lead)
    staff_profile_set_services(user=people.parking_agent, services=["parking"], actor=people.lead)
    return people


@pytest.fixture
def fake_playbook(monkeypatch):
    from django.urls import get_resolver

    from cases import playbooks

    # The URLconf (the API builds one view per playbook) is loaded once per process: load it
    # with the real registry first, so the fake never leaks into later tests' URLs.
    get_resolver().url_patterns  # noqa: B018
    monkeypatch.setitem(playbooks.PLAYBOOKS, fakes.CODE, fakes)
    return fakes


@pytest.fixture
def sms_templates(db):
    from templates_app.services import catalogue_sync

    catalogue_sync(catalogue=fakes.TEMPLATES)
    return fakes.TEMPLATES


@pytest.fixture
def make_case(staff, fake_playbook, sms_templates):
    """make_case("approve", assignee=...) -> a new case through case_create (fake playbook)."""
    from cases.services import case_create

    numbers = itertools.count(900_001)

    def _make(decision="approve", *, actor=None, assignee=None, call_id=None, **kwargs):
        kwargs.setdefault("customer_phone", CUSTOMER_PHONE)
        kwargs.setdefault("driver_phone", DRIVER_PHONE)
        kwargs.setdefault("driver_id", "drv-0001")
        result = case_create(
            playbook=fakes.CODE,
            facts=fakes.facts(decision, call_id=call_id or str(next(numbers))),
            channel=kwargs.pop("channel", "chatbot_board"),
            # Intake by an agent; with an assignee, a lead assigns (agents may only take).
            actor=actor or (staff.lead if assignee is not None else staff.agent),
            assignee=assignee,
            at=kwargs.pop("at", AT),
            **kwargs,
        )
        assert result.created, result.message
        return result.case

    return _make


def finish_plan(case, actor, *, reason="테스트: CEMS 직접 발송"):
    """Settle every pending step of ``case`` in order, as an agent working the plan would: an
    SMS step's messages are recorded as sent through CEMS (which ticks the step), any other
    step is ticked. Leaves the case ready to close (issue 13.5: closing needs the checklist)."""
    from cases.models import StepStatus
    from cases.services import case_message_sent_by_hand, case_step_complete

    for step in case.steps.filter(status=StepStatus.PENDING).order_by("order"):
        step.refresh_from_db()
        if step.status != StepStatus.PENDING:
            continue
        drafts = [
            m
            for m in step.messages.order_by("pk")
            if not m.is_delivered and m.status != "cancelled"
        ]
        if drafts:
            for message in drafts:
                case_message_sent_by_hand(
                    case=case, message_id=message.pk, reason=reason, actor=actor
                )
        else:
            case_step_complete(case=case, step_code=step.code, actor=actor)
    return case
