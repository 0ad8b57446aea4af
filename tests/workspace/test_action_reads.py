"""A case action reads its one case with the one-case visibility test (issue 17).

Every POST on a case (answer, record, take, decide, link, merge...) and the attachment and
unmask views first check that the agent may see the case. They used the list form of that
test (``pk IN (SELECT content_object_id ...)``: every case the agent ever held, ~40,000 rows for
a busy agent at a million cases, hashed on each action) where one probe for the one case
(``EXISTS``) answers the same question. Visibility itself is unchanged: another agent's case is
still a 404.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _permission_lists(captured) -> list[str]:
    """Statements that test a case against the list of every case the agent holds a permission
    on (``... IN (SELECT U0."content_object_id" FROM ...)``)."""
    return [
        q["sql"]
        for q in captured
        if any('"content_object_id"' in part[:40] for part in q["sql"].split("IN (SELECT")[1:])
    ]


def test_a_case_action_reads_no_list_of_the_agents_permissions(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    url = reverse("workspace:case_answer", args=[case.pk])
    with CaptureQueriesContext(connection) as action:
        response = client.post(url, {"text": "답변"})
    assert response.status_code == 302
    assert _permission_lists(action.captured_queries) == []
    # Another agent's case: refused as before, with the same one-case test.
    other = make_case(assignee=staff.agent_b)
    with CaptureQueriesContext(connection) as refused:
        response = client.post(reverse("workspace:case_answer", args=[other.pk]), {"text": "x"})
    assert response.status_code == 404
    assert _permission_lists(refused.captured_queries) == []


def test_linking_reads_the_other_case_with_the_one_case_test(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    mine = make_case(assignee=staff.agent)
    theirs = make_case(assignee=staff.agent_b)
    client = client_for(staff.agent)
    url = reverse("workspace:case_link", args=[case.pk])
    with CaptureQueriesContext(connection) as linked:
        response = client.post(url, {"other": mine.pk, "kind": "follow_up", "note": ""})
    assert response.status_code == 302
    assert _permission_lists(linked.captured_queries) == []
    assert case.links_made.filter(other=mine, kind="follow_up").exists()
    response = client.post(url, {"other": theirs.pk, "kind": "follow_up", "note": ""}, follow=True)
    assert f"케이스 #{theirs.pk}를 찾을 수 없습니다." in response.content.decode()
    assert not case.links_made.filter(other=theirs).exists()


def test_taking_an_unassigned_case_reads_no_list_of_the_agents_permissions(
    staff, client_for, make_case
):
    """An unassigned case of the agent's service: visible without a permission row."""
    case = make_case(assignee=None)
    with CaptureQueriesContext(connection) as take:
        response = client_for(staff.agent).post(reverse("workspace:case_take", args=[case.pk]))
    assert response.status_code == 302
    assert _permission_lists(take.captured_queries) == []
    case.refresh_from_db()
    assert case.assignee == staff.agent


def test_the_api_case_detail_and_the_admin_links_read_no_list_of_permissions(
    staff, client_for, make_case
):
    """The API's one case (an agent on their session) and the case page after intake use the
    one-case test too; another agent's case is still not found."""
    case = make_case(assignee=staff.agent)
    theirs = make_case(assignee=staff.agent_b)
    client = client_for(staff.agent)
    with CaptureQueriesContext(connection) as detail:
        response = client.get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200 and response.json()["id"] == case.pk
    assert _permission_lists(detail.captured_queries) == []
    assert client.get(f"/api/v1/cases/{theirs.pk}/").status_code == 404
    # The admin's links section (a lead sees everything; the agent form is tested above).
    from cases.admin_links import case_admin_link_rows
    from cases.services.relations import case_link

    case_link(case=case, other=theirs, kind="follow_up", actor=staff.lead, note="")
    with CaptureQueriesContext(connection) as links:
        rows = case_admin_link_rows(case=case, user=staff.agent)
    assert _permission_lists(links.captured_queries) == []
    assert len(rows) == 1
