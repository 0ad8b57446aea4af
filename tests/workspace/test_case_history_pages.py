"""The auditor's history of one case (/audit/cases/<id>/): newest first, in pages, with a
bounded amount of work however many versions the case has (issue 7: 10,000 versions)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.selectors import case_history_for, case_history_page

pytestmark = pytest.mark.django_db


def _edit(case, actor, times: int, start: int = 0) -> None:
    from cases.services import case_record_update

    for i in range(start, start + times):
        case_record_update(case=case, actor=actor, operations_memo=f"운영메모 v{i}")


def _key(entry):
    return (entry.at, entry.model, entry.object_id, entry.change_type, entry.changes)


def test_pages_are_the_full_history_newest_first_in_slices(staff, make_case):
    case = make_case(assignee=staff.agent)
    _edit(case, staff.lead, 12)
    everything = list(reversed(case_history_for(user=staff.auditor, case_id=case.pk)))
    assert len(everything) > 10

    seen = []
    number = 1
    while True:
        page = case_history_page(user=staff.auditor, case_id=case.pk, number=number, per_page=4)
        seen += list(page.object_list)
        if not page.has_next:
            break
        number += 1
    assert number == -(-len(everything) // 4)
    assert [_key(e) for e in seen] == [_key(e) for e in everything]
    # Before/after values are diffed against the previous version even across a page break.
    memo_changes = [c for e in seen for c in e.changes if c[0] == "운영메모"]
    assert ("운영메모", "운영메모 v10", "운영메모 v11") in memo_changes
    assert ("운영메모", "운영메모 v0", "운영메모 v1") in memo_changes


def test_the_page_shows_fifty_rows_and_links_to_older_ones(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    _edit(case, staff.lead, 55)
    url = reverse("audit:case_history", kwargs={"case_id": case.pk})
    client = client_for(staff.auditor)

    first = client.get(url)
    assert first.status_code == 200
    entries = first.context["entries"]
    assert len(entries) == 50
    assert entries[0].changes and entries[0].changes[-1][2] == "운영메모 v54"  # newest first
    html = first.content.decode()
    assert "이전 기록" in html and "page=2" in html

    second = client.get(url, {"page": 2})
    older = second.context["entries"]
    assert older and len(older) < 50
    assert older[-1].change_type == "+"  # the creation is on the last page
    assert not second.context["page"].has_next
    assert client.get(url, {"page": "x"}).context["page"].number == 1


def test_query_count_does_not_grow_with_versions(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    url = reverse("audit:case_history", kwargs={"case_id": case.pk})
    client = client_for(staff.auditor)
    _edit(case, staff.lead, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _edit(case, staff.lead, 120, start=5)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) <= len(few) + 1  # +1: previous versions not on the page (one query)
    # 16 for the change pages, + the story on page 1 (cases.timeline: the case, one query per
    # source of events, the step labels and the clocks as they stand): flat as well.
    assert len(many) <= 16 + 11
    # No statement reads every version: each read of the case's history is LIMITed to the
    # page, or fetches named previous versions by their history ids.
    history_reads = [
        q["sql"]
        for q in many.captured_queries
        if q["sql"].startswith("SELECT") and '"cases_historicalcase"' in q["sql"]
    ]
    assert history_reads
    for sql in history_reads:
        assert "LIMIT" in sql or '"history_id" IN' in sql, sql


def test_agents_still_cannot_read_it(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    url = reverse("audit:case_history", kwargs={"case_id": case.pk})
    assert client_for(staff.agent).get(url).status_code in (403, 404)


def test_values_read_as_the_auditor_needs_them(staff, client_for, make_case):
    """Choice labels, usernames for people, Seoul times and masked phones, as in /audit/."""
    from cases.services import case_assign, case_record_update

    case = make_case()
    case_assign(case=case, assignee=staff.agent, actor=staff.lead)
    case_record_update(case=case, actor=staff.lead, customer_phone="010-2222-3333")
    html = client_for(staff.auditor).get(reverse("audit:case_history", kwargs={"case_id": case.pk}))
    text = html.content.decode()
    assert f"{staff.agent.get_username()} (#{staff.agent.pk})" in text
    assert "010-2222-3333" not in text and "3333" in text
    entry = next(
        e
        for e in case_history_page(user=staff.auditor, case_id=case.pk).object_list
        if any(label == "담당 상담사" for label, _old, _new in e.changes)
    )
    assert all(isinstance(v, str) for _label, old, new in entry.changes for v in (old, new))
