"""Fixtures of the workspace and auditor view tests: staff per role (agents work the driver
service), real driver_nonride_cancel cases filed through ``case_create``, logged-in clients."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from django.test import Client

CUSTOMER_PHONE = "010-0000-1234"
DRIVER_PHONE = "010-0000-5678"

_call_ids = itertools.count(710_001)


def driver_facts(call_id: str | None = None, **over) -> dict:
    """Facts the driver_nonride_cancel playbook approves (0.0 km, same point, 1 minute)."""
    data = {
        "received_on": "2024-12-04",
        "driver_id": "drv-1001",
        "call_id": call_id or str(next(_call_ids)),
        "already_cancelled": False,
        "has_open_duplicate": False,
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "cancel_reason_recorded": False,
        "fare_amount": 15000,
        "called_on": "2024-12-03",
        "origin": "강남역",
        "ob_unreachable": False,
    }
    data.update(over)
    return data


@pytest.fixture
def staff(make_user):
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
def make_case(staff):
    """make_case(assignee=None, **facts) -> a driver_nonride_cancel case filed by an agent."""
    from cases.services import case_assign, case_create

    def _make(*, assignee=None, **facts_over):
        result = case_create(
            playbook="driver_nonride_cancel",
            facts=driver_facts(**facts_over),
            channel="chatbot_board",
            actor=staff.agent,
            customer_phone=CUSTOMER_PHONE,
            driver_phone=DRIVER_PHONE,
        )
        assert result.created, result.message
        if assignee is not None:
            case_assign(case=result.case, assignee=assignee, actor=staff.lead)
        return result.case

    return _make


@pytest.fixture
def client_for():
    """client_for(user) -> a Client logged in as ``user`` (None: anonymous)."""

    def _client(user, **kwargs):
        client = Client(**kwargs)
        if user is not None:
            client.force_login(user)
        return client

    return _client


def messages_of(response) -> list[str]:
    """The messages this request added (not those still waiting from earlier requests)."""
    storage = response.wsgi_request._messages
    return [str(m) for m in storage._queued_messages]
