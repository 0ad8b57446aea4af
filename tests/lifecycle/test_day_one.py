"""Issue 13 item 1: a fresh center has demo agents with services and demo cases of every
playbook in every state (idempotent); a case an agent files is theirs and opens for them."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from cases.models import Case, StaffProfile, StepClock
from kmcs_site.demo_data import demo_plan, phones
from tests.workspace.conftest import driver_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_users(db):
    call_command("kmcs_demo_users", force=True, password="pw-demo-1234", stdout=_Null())


class _Null:
    def write(self, *_a, **_k):
        pass

    def flush(self):
        pass


def test_demo_cases_cover_every_playbook_in_every_state_and_rerun_adds_nothing(demo_users):
    call_command("kmcs_demo_cases", force=True, stdout=_Null(), stderr=_Null())
    count = Case.objects.count()
    assert count == len(demo_plan()) >= 36
    by = Counter(Case.objects.values_list("playbook", "status"))
    for playbook in (
        "parking_double_payment",
        "parking_operations",
        "driver_nonride_cancel",
        "ev_charging",
        "traffic_fine",
    ):
        for status in ("new", "in_progress", "waiting", "decided", "closed"):
            assert by[(playbook, status)] >= 1, (playbook, status)
    assert StepClock.objects.filter(overdue_marked_at__isnull=False).exists()
    assert Case.objects.filter(is_override=True).exists()
    assert all(phones(item.serial)[0].startswith("010-0000-") for item in demo_plan())
    assert set(StaffProfile.objects.values_list("user__username", flat=True)) >= {"agent", "agent2"}

    call_command("kmcs_demo_cases", force=True, stdout=_Null(), stderr=_Null())
    assert Case.objects.count() == count


def test_demo_agent_queue_shows_work(demo_users):
    call_command("kmcs_demo_cases", force=True, stdout=_Null(), stderr=_Null())
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="agent"))
    page = client.get(reverse("workspace:queue"))
    assert page.status_code == 200
    assert page.content.decode().count("/work/cases/") >= 5


def test_a_case_an_agent_files_is_assigned_to_them_and_opens(make_user):
    agent = make_user("agent", username="agent_nosvc")  # no StaffProfile: no services at all
    client = Client()
    client.force_login(agent)
    url = reverse("workspace:case_create", kwargs={"playbook": "driver_nonride_cancel"})
    data = {
        **{k: v for k, v in driver_facts().items() if not isinstance(v, bool)},
        "start_equals_last_point": "true",
        "channel": "chatbot_board",
        "customer_phone": "010-0000-1234",
        "driver_phone": "010-0000-5678",
        "idempotency_key": "workspace:h6-test",
    }
    response = client.post(url, data)
    case = Case.objects.get()
    assert case.assignee == agent
    assert response.status_code == 302 and response["Location"].endswith(f"/cases/{case.pk}/")
    assert client.get(response["Location"]).status_code == 200


@override_settings(DEBUG=False)
def test_a_hidden_case_gives_a_korean_404(make_user):
    other = make_user("agent", username="agent_other")
    client = Client()
    client.force_login(other)
    response = client.get(reverse("workspace:case", kwargs={"case_id": 987654}))
    assert response.status_code == 404
    assert "찾을 수 없습니다" in response.content.decode()
