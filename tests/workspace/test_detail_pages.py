"""One case's pages cost a fixed number of queries whatever the case holds (issue 17.1): the
admin change page (steps, Agit posts and OB attempts as read-only tables, the case fetched
once), the agent's case page and the auditor's case history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

pytestmark = pytest.mark.django_db

#: session, user, roles, the case (with its people), its links, its steps, posts and OB attempts
#: (one query each), the admin's permission cache for the app list (two), the session save.
ADMIN_CHANGE_MAX_QUERIES = 12
#: The agent's case page on SQLite for a decided case with its posts and OB attempts (the
#: timeline's eleven sources among them): 43 until the work permission came with the case read
#: (15 fewer) and the attachments and fact revisions were read once for the panels and the
#: timeline (2 fewer).
CASE_PAGE_MAX_QUERIES = 26
#: The auditor's case history with its timeline; two fewer since the case is read once and
#: the step labels once.
AUDIT_CASE_HISTORY_MAX_QUERIES = 23


@pytest.fixture
def worked_case(staff, make_case, django_capture_on_commit_callbacks):
    """work(n): a decided case of staff.agent with n OB attempts (each with its Agit post)."""
    from cases.services import case_decide, contact_attempt_log

    def work(n: int):
        case = make_case(assignee=staff.agent)
        with django_capture_on_commit_callbacks(execute=True):
            case_decide(case=case, actor=staff.agent)
        for i in range(n):
            contact_attempt_log(
                case=case,
                actor=staff.agent,
                target="driver",
                result="no_answer",
                note=f"부재 {i}",
            )
        return case

    return work


def _admin_change(client, case):
    return client.get(reverse("admin:cases_case_change", args=[case.pk]))


@pytest.mark.parametrize("n", [1, 8])
def test_admin_change_page_query_count_is_flat(
    staff, client_for, worked_case, django_assert_max_num_queries, n
):
    case = worked_case(n)
    client = client_for(staff.lead)
    _admin_change(client, case)  # warm the content-type cache
    with django_assert_max_num_queries(ADMIN_CHANGE_MAX_QUERIES):
        response = _admin_change(client, case)
    assert response.status_code == 200
    html = response.content.decode()
    tables = {t.key: t for t in response.context["activity_tables"]}
    assert set(tables) == {"casestep", "escalationpost", "contactattempt"}
    assert len(tables["contactattempt"].rows) == n
    # The decision's own post (the playbook's) and one per attempt, oldest first.
    assert len(tables["escalationpost"].rows) == case.escalation_posts.count() >= n
    assert tables["casestep"].rows and all(
        escape(row[1]) in html for row in tables["casestep"].rows
    )
    assert f"부재 {n - 1}" in html and "미작성" in html  # the note, the post not yet written
    # Read-only tables, not formsets: no management form, no inline formset per model.
    assert "casestep_set-TOTAL_FORMS" not in html
    assert not response.context["inline_admin_formsets"]


def test_admin_change_page_same_queries_for_1_and_8_attempts(staff, client_for, worked_case):
    client = client_for(staff.lead)
    small, large = worked_case(1), worked_case(8)
    _admin_change(client, small)
    with CaptureQueriesContext(connection) as few:
        _admin_change(client, small)
    with CaptureQueriesContext(connection) as many:
        _admin_change(client, large)
    assert len(few) == len(many)
    # The case itself is read once (it used to be read by the 404 check and the change form).
    case_reads = [
        q["sql"] for q in many.captured_queries if q["sql"].startswith('SELECT "cases_case"."id"')
    ]
    assert len(case_reads) == 1, case_reads


def test_admin_change_page_tables_follow_the_role(staff, client_for, worked_case):
    """An agent sees their own case's tables; another agent gets 404 as before."""
    case = worked_case(2)
    response = _admin_change(client_for(staff.agent), case)
    assert response.status_code == 200
    assert {t.key for t in response.context["activity_tables"]} == {
        "casestep",
        "escalationpost",
        "contactattempt",
    }
    assert _admin_change(client_for(staff.agent_b), case).status_code == 404


def _reads(captured, table: str) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]


def test_case_page_timeline_reuses_what_the_page_read(staff, client_for, worked_case):
    """The timeline names steps from the page's prefetched steps and reads the OB attempts,
    attachments and fact revisions from its prefetches: no second read of any, and the same
    count for 1 and 8 attempts."""
    client = client_for(staff.agent)
    small, large = worked_case(1), worked_case(8)
    client.get(reverse("workspace:case", args=[small.pk]))
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("workspace:case", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("workspace:case", args=[large.pk]))
    assert response.status_code == 200
    assert len(few) == len(many) <= CASE_PAGE_MAX_QUERIES
    assert len(_reads(many.captured_queries, "cases_casestep")) == 1  # the prefetch
    assert len(_reads(many.captured_queries, "cases_contactattempt")) == 1  # the prefetch
    # The attachments and fact revisions panels and the timeline share one read each.
    assert len(_reads(many.captured_queries, "cases_caseattachment")) == 1
    assert len(_reads(many.captured_queries, "cases_factrevision")) == 1
    labels = {e.label for e in response.context["timeline"].events}
    assert sum(label.startswith("OB ") for label in labels) >= 1
    html = response.content.decode()
    assert html.count("부재 7") >= 1  # the newest attempt's note, on the timeline


def test_audit_case_history_reads_the_case_once(staff, client_for, worked_case):
    client = client_for(staff.auditor)
    small, large = worked_case(1), worked_case(8)
    client.get(reverse("audit:case_history", args=[small.pk]))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("audit:case_history", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("audit:case_history", args=[large.pk]))
    assert response.status_code == 200 and response.context["timeline"].events
    assert len(few) == len(many) <= AUDIT_CASE_HISTORY_MAX_QUERIES
    case_reads = _reads(many.captured_queries, "cases_case")
    assert len(case_reads) == 1, case_reads
    # Step labels for the clock and message events: one read, not one per source.
    label_reads = [
        sql for sql in _reads(many.captured_queries, "cases_casestep") if '"label"' in sql
    ]
    assert len(label_reads) <= 1, label_reads
    # Agents have no audit right: refused as before.
    assert (
        client_for(staff.agent_b).get(reverse("audit:case_history", args=[large.pk])).status_code
        == 403
    )


def test_pages_build_the_facts_fields_once_per_thread(staff, client_for, worked_case, monkeypatch):
    """The case page's facts and revisions and the admin's facts row read the playbook's FACTS
    fields from the per-thread instance: DRF deep-copies every declared field when a fresh
    serializer's ``fields`` is first read, which a page did on every request."""
    from rest_framework import serializers

    case = worked_case(1)
    calls = []
    original = serializers.Serializer.get_fields

    def counting(self):
        calls.append(type(self).__name__)
        return original(self)

    for url, user in (
        (reverse("workspace:case", args=[case.pk]), staff.agent),
        (reverse("admin:cases_case_change", args=[case.pk]), staff.lead),
    ):
        client = client_for(user)
        assert client.get(url).status_code == 200  # the thread's instance is built here
        monkeypatch.setattr(serializers.Serializer, "get_fields", counting)
        response = client.get(url)
        monkeypatch.setattr(serializers.Serializer, "get_fields", original)
        assert response.status_code == 200
        facts = [c for c in calls if "Facts" in c or "FACTS" in c]
        assert not facts, (url, calls)
        assert "drv-1001" in response.content.decode() or "710001" in response.content.decode()


def _permission_reads(captured) -> list[str]:
    """Statements that read the work permission on their own (the case read embeds it)."""
    return [
        q["sql"]
        for q in captured
        if "cases_caseuserobjectpermission" in q["sql"]
        and not q["sql"].startswith('SELECT "cases_case"."id"')
    ]


@pytest.mark.parametrize("decided", [True, False])
def test_case_page_answers_the_agents_work_permission_from_the_case_read(
    staff, client_for, worked_case, make_case, decided
):
    """The page asks ``user_can`` for each of its fifteen actions; for an agent each asked the
    database whether they hold the work permission on the case (15 identical statements). The
    case is fetched with that answer (the visibility test), and the page reuses it."""
    case = worked_case(2) if decided else make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    url = reverse("workspace:case", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as page:
        response = client.get(url)
    assert response.status_code == 200
    assert _permission_reads(page.captured_queries) == []
    assert response.context["page"].can["decide"] is True
    # A case of the agent's service that nobody holds: visible, workable, still no extra read.
    other = make_case(assignee=None)
    with CaptureQueriesContext(connection) as unassigned:
        response = client.get(reverse("workspace:case", args=[other.pk]))
    assert response.status_code == 200 and response.context["page"].can["take"] is True
    assert _permission_reads(unassigned.captured_queries) == []


def test_case_page_reads_no_list_of_the_agents_permissions(staff, client_for, make_case):
    """The panel of the customer's other cases and of the linked cases picks a few rows by a
    selective condition; the visibility test is one probe per row (``EXISTS``), never the list
    of every case the agent ever held (``IN (SELECT content_object_id ...)``), which grows with
    their history: ~40,000 rows for a busy agent at a million cases."""
    from cases.search import reference_condition

    case = make_case(assignee=staff.agent)
    same_customer = make_case(assignee=staff.agent)
    assert reference_condition(case) is not None  # the panel's query runs
    with CaptureQueriesContext(connection) as page:
        response = client_for(staff.agent).get(reverse("workspace:case", args=[case.pk]))
    assert response.status_code == 200
    assert same_customer.pk in {row.case.pk for row in response.context["related"].history}
    listing = [q["sql"] for q in page.captured_queries if '"content_object_id" FROM' in q["sql"]]
    assert listing == []


def test_a_remembered_work_permission_follows_the_assignment(staff, make_case):
    """The answer kept on a case instance is dropped when a service moves the case (mirror):
    after the lead gives the case to another agent, the first agent may no longer work it on
    that same instance, and the new assignee may."""
    from cases.selectors import case_get_for_user_or_404
    from cases.services import case_assign
    from kmcs_site.permissions import user_can

    case = make_case(assignee=staff.agent)
    seen = case_get_for_user_or_404(user=staff.agent, case_id=case.pk)
    assert user_can(staff.agent, "cases.case.decide", seen)
    case_assign(case=seen, assignee=staff.agent_b, actor=staff.lead)
    assert not user_can(staff.agent, "cases.case.decide", seen)
    assert user_can(staff.agent_b, "cases.case.decide", seen)
    case_assign(case=seen, assignee=staff.agent, actor=staff.lead)
    assert user_can(staff.agent, "cases.case.decide", seen)
    assert not user_can(staff.agent_b, "cases.case.decide", seen)
