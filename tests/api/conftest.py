"""Fixtures of the API and bulk intake tests: reference data, clients per role, case factories."""

from __future__ import annotations

import io
import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 12, 2, 10, 0, tzinfo=SEOUL)
ROLES = ("agent", "team_lead", "deputy_lead", "manager", "auditor", "integration")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Reference data once per test database: templates, routes, consultation types and
    campaigns. The data migrations load the same rows; ``kmcs_bootstrap`` (idempotent) completes
    a database created without them (``--no-migrations``), so every test sees what production
    has. Each test's own rows are rolled back as usual."""
    with django_db_blocker.unblock():
        call_command("kmcs_bootstrap", stdout=io.StringIO())


@pytest.fixture
def reference_data(db):
    """Marks the tests that read reference data (loaded once, in django_db_setup)."""


@pytest.fixture
def staff(role_users):
    """role -> user (the foundation's one-user-per-role fixture); agents work every service."""
    from cases.services import staff_profile_set_services

    lead = role_users["team_lead"]
    staff_profile_set_services(
        user=role_users["agent"], services=["parking", "driver", "ev"], actor=lead
    )
    return role_users


@pytest.fixture
def client_as(staff):
    """client_as("agent") -> an APIClient logged in as that role (None/"anonymous": nobody)."""

    def _client(role: str | None) -> APIClient:
        client = APIClient()
        user = staff.get(role) if role else None
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return _client


@pytest.fixture
def call_ids():
    numbers = itertools.count(700_000_001)
    return lambda: str(next(numbers))


@pytest.fixture
def make_case(staff, reference_data, call_ids):
    """A driver_nonride_cancel case filed through case_create (what intake does)."""
    from cases.services import case_create
    from tests.api import scenarios

    def _make(*, actor=None, assignee=None, call_id=None, **kwargs):
        call_id = call_id or call_ids()
        result = case_create(
            playbook="driver_nonride_cancel",
            facts=scenarios.nonride_facts(call_id=call_id),
            channel="chatbot_board",
            actor=actor or staff["integration"],
            customer_phone=kwargs.pop("customer_phone", "010-0000-1234"),
            driver_phone=kwargs.pop("driver_phone", "010-0000-5678"),
            driver_id="drv-0001",
            references={"call_id": call_id},
            assignee=assignee,
            at=kwargs.pop("at", AT),
            **kwargs,
        )
        assert result.created, result.message
        return result.case

    return _make
