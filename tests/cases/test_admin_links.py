"""Issue 14.3 in the admin: the case page lists the case's links to other cases, read-only,
either way (made on it, pointing to it), with the linked case's number and title as admin links,
in a fixed number of queries. Auditors read cases in the admin, so they see the links there."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from cases.models import CaseLink
from cases.services.relations import case_link

pytestmark = pytest.mark.django_db


def change_url(case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def _titled(make_case, title, **kwargs):
    case = make_case(**kwargs)
    type(case).objects.filter(pk=case.pk).update(record_title=title)
    case.refresh_from_db()
    return case


@pytest.fixture
def linked(make_case, staff):
    """``main`` with a follow-up link made on it (to ``earlier``) and a duplicate link made on
    ``later`` pointing to it."""
    main = _titled(make_case, "주 케이스 제목", assignee=staff.agent)
    earlier = _titled(make_case, "이전 문의 제목", assignee=staff.agent_b)
    later = _titled(make_case, "나중 접수 제목", assignee=staff.agent)
    case_link(case=main, other=earlier, kind="follow_up", actor=staff.lead, note="같은 고객 재문의")
    case_link(case=later, other=main, kind="duplicate", actor=staff.lead)
    return main, earlier, later


def test_an_auditor_sees_every_link_with_number_title_and_admin_link(client, staff, linked):
    main, earlier, later = linked
    client.force_login(staff.auditor)
    page = client.get(change_url(main))
    assert page.status_code == 200
    html = unescape(page.content.decode())
    section = html[html.index('id="case-links"') :]
    assert f'<a href="{change_url(earlier)}">#{earlier.pk}</a>' in section
    assert f'<a href="{change_url(earlier)}">이전 문의 제목</a>' in section
    assert f'<a href="{change_url(later)}">나중 접수 제목</a>' in section
    assert "후속 문의" in section and "중복 접수" in section
    assert "이 케이스에서" in section and "상대 케이스에서" in section
    assert "같은 고객 재문의" in section
    # Read-only: the page offers no way to change or delete a link.
    assert "caselink" not in section.lower()
    assert [row.case_id for row in page.context["case_links"]] == [earlier.pk, later.pk]


def test_a_linked_case_the_viewer_may_not_see_is_a_number_without_title_or_link(
    client, staff, linked
):
    main, earlier, later = linked
    client.force_login(staff.agent)  # earlier is agent_b's case
    page = client.get(change_url(main))
    assert page.status_code == 200
    html = unescape(page.content.decode())
    section = html[html.index('id="case-links"') :]
    assert f"#{earlier.pk}" in section
    assert change_url(earlier) not in section and "이전 문의 제목" not in section
    assert "열람 권한 없음" in section
    assert f'<a href="{change_url(later)}">나중 접수 제목</a>' in section


def test_a_case_without_links_says_so(client, staff, make_case):
    case = make_case()
    client.force_login(staff.auditor)
    html = client.get(change_url(case)).content.decode()
    assert "연결된 케이스가 없습니다." in html


def test_the_section_costs_the_same_queries_for_one_link_or_many(
    client, staff, make_case, django_assert_max_num_queries
):
    main = make_case()
    first = make_case()
    case_link(case=main, other=first, kind="follow_up", actor=staff.lead)
    client.force_login(staff.auditor)
    client.get(change_url(main))  # warm per-process caches (labels, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(change_url(main)).status_code == 200
    for _ in range(6):
        case_link(case=make_case(), other=main, kind="duplicate", actor=staff.lead)
    assert CaseLink.objects.filter(other=main).count() == 6
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(change_url(main))
    assert len(page.context["case_links"]) == 7
