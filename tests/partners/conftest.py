"""Fixtures of the partners tests: the seed routes are in the database (loaded by the data
migration; re-loaded here only if a transactional test elsewhere flushed them)."""

from __future__ import annotations

import pytest
from django.apps import apps

from partners.models import Partner


@pytest.fixture(autouse=True)
def seeded(db):
    if not Partner.objects.filter(seed_key="partner.other").exists():
        from partners.seed_loader import load

        load(apps)


@pytest.fixture
def lead(make_user):
    return make_user("team_lead", username="lead")


@pytest.fixture
def agent(make_user):
    return make_user("agent", username="agent_a")
