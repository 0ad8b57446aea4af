"""The queue and the case list: scope (mine + unassigned of my services), order, filters."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_queue_shows_mine_first_then_unassigned_of_my_service_never_others(
    staff, client_for, make_case
):
    unassigned = make_case()
    mine = make_case(assignee=staff.agent)
    others = make_case(assignee=staff.agent_b)
    response = client_for(staff.agent).get(reverse("workspace:queue"))
    assert list(response.context["cases"]) == [mine, unassigned]
    html = response.content.decode()
    assert f"#{others.pk}<" not in html
    assert client_for(staff.parking_agent).get(reverse("workspace:queue")).context["cases"] == []


def test_queue_keeps_decided_cases_until_closed_the_list_shows_them(staff, client_for, make_case):
    """Issue 13.6: a decided case still has steps to do (the CPO's answer, an SMS): it stays in
    "내 큐" until it is closed (tests/workspace/test_queue.py covers the closed side)."""
    from cases.services import case_decide

    done = make_case(assignee=staff.agent)
    case_decide(case=done, actor=staff.agent)
    client = client_for(staff.agent)
    assert done in client.get(reverse("workspace:queue")).context["cases"]
    listed = client.get(reverse("workspace:case_list"), {"status": "decided"}).context["cases"]
    assert list(listed) == [done]


def test_filters_by_status_and_playbook(staff, client_for, make_case):
    from cases.services import case_transition

    started = make_case(assignee=staff.agent)
    case_transition(case=started, transition="start", actor=staff.agent)
    new = make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    assert list(
        client.get(reverse("workspace:queue"), {"status": "in_progress"}).context["cases"]
    ) == [started]
    assert list(client.get(reverse("workspace:queue"), {"status": "new"}).context["cases"]) == [new]
    assert (
        client.get(reverse("workspace:queue"), {"playbook": "ev_charging"}).context["cases"] == []
    )


def test_unknown_filter_value_is_a_korean_error_and_no_rows(staff, client_for, make_case):
    make_case(assignee=staff.agent)
    response = client_for(staff.agent).get(reverse("workspace:queue"), {"status": "closed"})
    assert response.context["form"].errors["status"]
    assert "올바르게 선택해 주세요" in response.content.decode()
    assert list(response.context["cases"]) == []


def test_htmx_filter_returns_the_table_alone(staff, client_for, make_case):
    make_case(assignee=staff.agent)
    response = client_for(staff.agent).get(
        reverse("workspace:queue"), {"status": "new"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="case-table">') and "<html" not in html


def test_htmx_unmask_error_stays_in_place(staff, client_for, make_case):
    from cases.models import UnmaskLog

    case = make_case(assignee=staff.agent)
    response = client_for(staff.lead).post(
        reverse("workspace:case_unmask", kwargs={"case_id": case.pk}),
        {"field": "customer_phone", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "조회 사유: 필수 항목입니다." in response.content.decode()
    assert not UnmaskLog.objects.exists()
