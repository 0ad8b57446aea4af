"""Notifications in a real browser (issue 14.5).

A lead assigns a case to an agent and then revises a fact on it. The agent's queue shows the
bell with 2; the list shows both, newest first; "열기" marks one read and lands on the case, whose
header bell now says 1; "모두 읽음으로 표시" empties it; the settings page turns the e-mail copy
on. Screenshots: test-artifacts/browser/notifications-*.png.
"""

from __future__ import annotations

import pytest

from .conftest import login, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def assigned(reference_data, make_user):
    from cases.services import case_assign, case_create, staff_profile_set_services
    from cases.services.revisions import case_revise_facts
    from tests.workspace.conftest import driver_facts

    lead = make_user("team_lead", username="lead_bell")
    agent = make_user("agent", username="agent_bell")
    staff_profile_set_services(user=agent, services=["driver"], actor=lead)
    case = case_create(
        playbook="driver_nonride_cancel",
        facts=driver_facts(call_id="980001"),
        channel="chatbot_board",
        actor=lead,
        customer_phone="010-2222-3333",
        driver_phone="010-1111-0000",
    ).case
    case_assign(case=case, assignee=agent, actor=lead)
    case_revise_facts(case=case, actor=lead, facts={"origin": "강남역 2번 출구"}, note="기사 확인")
    return {"agent": agent, "case": case}


def bell(page) -> str:
    return page.locator("#notification-count").inner_text().strip()


def test_bell_list_open_mark_all_and_email_setting(open_page, assigned):
    from notifications.models import Notification, NotificationPreference

    case, agent = assigned["case"], assigned["agent"]
    page, screens = open_page("notifications")
    login(page, "agent_bell")

    page.goto("/work/")
    assert bell(page) == "2"
    screens.shot("queue-bell")

    submit(page, "#notification-bell")
    assert page.url.endswith("/notifications/")
    titles = page.locator("#notifications li strong").all_inner_texts()
    assert len(titles) == 2
    assert "사실관계 수정" in titles[0] and "배정" in titles[1]  # newest first
    screens.shot("list")

    # "열기" on the assignment: read, and on to the case (same host and port as the page).
    newest_first = list(Notification.objects.filter(recipient=agent).order_by("-created_at", "-id"))
    assignment = newest_first[1]
    submit(page, f"#notification-{assignment.pk} button[name=open]")
    assert page.url.endswith(f"/work/cases/{case.pk}/")
    assert bell(page) == "1"
    screens.shot("case-after-open")

    page.goto("/notifications/")
    submit(page, "#read-all")
    assert bell(page) == "0"
    assert not Notification.objects.filter(recipient=agent, read_at=None).exists()
    screens.shot("all-read")

    page.goto("/notifications/settings/")
    page.check("input[name=email_enabled]")
    submit(page, "#notification-preferences [type=submit]")
    assert NotificationPreference.objects.get(user=agent).email_enabled
    screens.shot("email-on")
