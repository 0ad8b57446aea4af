"""Issue 14.2 and 14.3: the case page's customer/reference history, links and merges.

Cases are filed through ``case_create`` (the workspace fixtures' non-ride cancellations; a
parking double payment for the cross-playbook refusal) and linked and merged through the
services in ``cases.services.relations``.
"""

from __future__ import annotations

from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.exceptions import CaseError
from cases.models import Case, CaseLink, LinkKind, Status
from cases.search import case_reference_history
from cases.services.relations import case_link, case_merge

from .conftest import messages_of

pytestmark = pytest.mark.django_db

#: The case page with its history and related-cases panel, whatever the number of rows (the
#: panel itself is four queries: history, links, intake marks, visibility of the linked cases).
CASE_PAGE_MAX_QUERIES = 51  # 50 measured before the header bell's unread count (issue 14.5)


def _file(staff, *, playbook="driver_nonride_cancel", phone="010-2222-3333", **facts):
    from cases.services import case_create

    from .conftest import driver_facts

    if playbook == "driver_nonride_cancel":
        data = driver_facts(**facts)
    else:
        from .test_search import _double_payment_facts

        data = _double_payment_facts(**facts)
    return case_create(
        playbook=playbook,
        facts=data,
        channel=data.get("channel", "chatbot_board"),
        actor=staff.lead,
        customer_phone=phone,
    ).case


# --- 14.2 history -----------------------------------------------------------------------------


def test_history_lists_cases_sharing_phone_driver_call_and_car(staff, make_case):
    from cases.services import case_decide

    case = make_case(assignee=staff.agent, call_id="930001")
    same_phone = make_case(assignee=staff.agent, driver_id="drv-other")  # same fixture phone
    case_decide(case=same_phone, actor=staff.lead)
    same_driver = _file(staff, phone="010-5555-6666", driver_id="drv-1001")
    unrelated = _file(staff, phone="010-5555-7777", driver_id="drv-9999")
    rows = {row.case.pk: row for row in case_reference_history(user=staff.lead, case=case)}
    assert set(rows) == {same_phone.pk, same_driver.pk}
    assert unrelated.pk not in rows
    assert "같은 고객 전화번호" in rows[same_phone.pk].shared
    assert rows[same_driver.pk].shared == ("같은 기사",)
    same_phone.refresh_from_db()
    # The outcome as the agent reads it (Korean label), not the code.
    assert rows[same_phone.pk].outcome_label not in ("", "-", same_phone.outcome)
    assert rows[same_phone.pk].phone_masked == "010-****-1234"


def test_history_by_car_number_is_case_insensitive_and_exact(staff):
    first = _file(staff, playbook="parking_double_payment", phone="010-1111-2222")
    Case.objects.filter(pk=first.pk).update(
        facts={**first.facts, "car_number": "12가3456"}, customer_phone="", customer_phone_last4=""
    )
    second = _file(
        staff,
        playbook="parking_double_payment",
        phone="010-9999-0000",
        car_number="12가3456",
        ticket_car_number="12가3456",
        lot_name="다른 주차장",
    )
    other_car = _file(
        staff,
        playbook="parking_double_payment",
        phone="010-9999-0001",
        car_number="12가34567",
        ticket_car_number="12가34567",
        lot_name="세번째 주차장",
    )
    first.refresh_from_db()
    rows = {row.case.pk: row for row in case_reference_history(user=staff.lead, case=first)}
    assert second.pk in rows and other_car.pk not in rows
    assert rows[second.pk].shared == ("같은 차량번호",)


def test_history_respects_visibility(staff, make_case):
    mine = make_case(assignee=staff.agent)
    colleagues = make_case(assignee=staff.agent_b)  # same customer phone, not the agent's
    assert colleagues.pk not in {
        r.case.pk for r in case_reference_history(user=staff.agent, case=mine)
    }
    assert colleagues.pk in {r.case.pk for r in case_reference_history(user=staff.lead, case=mine)}


def test_case_page_shows_the_history_panel_masked(staff, make_case, client_for):
    case = make_case(assignee=staff.agent)
    other = make_case(assignee=staff.agent)
    html = client_for(staff.agent).get(reverse("workspace:case", args=[case.pk])).content.decode()
    panel = html[html.index('id="reference-history"') :]
    panel = panel[: panel.index("</table>")]
    assert f"#{other.pk}" in panel and "같은 고객 전화번호" in panel
    assert "010-****-1234" in panel and "010-0000-1234" not in panel


def test_case_page_queries_do_not_grow_with_the_history(
    staff, make_case, client_for, django_assert_max_num_queries
):
    """One linked case sharing the phone, then twelve: the page costs the same queries, and
    never more than a fixed ceiling."""
    case = make_case(assignee=staff.agent)
    first = make_case(assignee=staff.agent)
    case_link(case=first, other=case, kind=LinkKind.FOLLOW_UP, actor=staff.lead)
    client = client_for(staff.agent)
    url = reverse("workspace:case", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(11):
        other = make_case(assignee=staff.agent)
        case_link(case=other, other=case, kind=LinkKind.FOLLOW_UP, actor=staff.lead)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["related"].history) == 12
    assert len(response.context["related"].links) == 12
    assert len(many.captured_queries) <= len(few.captured_queries)
    with django_assert_max_num_queries(CASE_PAGE_MAX_QUERIES):
        client.get(url)


# --- 14.3 links and merges ---------------------------------------------------------------------


def test_link_same_call_and_refuse_a_wrong_reference(staff, make_case):
    first = make_case(assignee=staff.agent, call_id="940001")
    Case.objects.filter(pk=first.pk).update(business_key="")  # let a second post in
    second = make_case(assignee=staff.agent, call_id="940001")
    link = case_link(case=second, other=first, kind=LinkKind.SAME_CALL, actor=staff.agent)
    assert (link.case_id, link.other_id, link.created_by) == (second.pk, first.pk, staff.agent)
    history = link.history.get()
    assert history.history_type == "+" and history.history_user == staff.agent
    with pytest.raises(CaseError, match="TID가 같지 않아"):
        case_link(case=second, other=first, kind=LinkKind.SAME_TID, actor=staff.agent)
    with pytest.raises(CaseError, match="이미 '같은 콜 ID'"):
        case_link(case=first, other=second, kind=LinkKind.SAME_CALL, actor=staff.agent)
    with pytest.raises(CaseError, match="같은 케이스끼리는"):
        case_link(case=first, other=first, kind=LinkKind.FOLLOW_UP, actor=staff.agent)
    assert CaseLink.objects.count() == 1


def test_an_agent_links_only_what_they_may_work_and_see(staff, make_case):
    mine = make_case(assignee=staff.agent)
    colleagues = make_case(assignee=staff.agent_b)
    with pytest.raises(CaseError, match="볼 수 없어"):
        case_link(case=mine, other=colleagues, kind=LinkKind.FOLLOW_UP, actor=staff.agent)
    with pytest.raises(CaseError, match="권한이 없습니다"):
        case_link(case=colleagues, other=mine, kind=LinkKind.FOLLOW_UP, actor=staff.agent)
    assert not CaseLink.objects.exists()


def test_merge_keeps_both_histories_and_closes_the_duplicate(staff, make_case, client_for):
    from cases.timeline import case_timeline

    original = make_case(assignee=staff.agent)
    duplicate = make_case(assignee=staff.agent)
    steps_before = duplicate.steps.count()
    versions_before = duplicate.history.count()
    merged = case_merge(
        duplicate=duplicate, original=original, actor=staff.agent, reason="같은 문의"
    )
    assert merged.status == Status.CLOSED and merged.closed_at is not None
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
    assert duplicate.steps.count() == steps_before
    assert duplicate.history.count() == versions_before + 1
    newest = duplicate.history.order_by("-history_date", "-history_id").first()
    assert newest.history_change_reason.startswith(f"병합: 케이스 #{original.pk}로 병합")
    assert newest.history_user == staff.agent
    link = CaseLink.objects.get(case=duplicate)
    assert (link.other_id, link.kind) == (original.pk, LinkKind.MERGED)
    original.refresh_from_db()
    assert original.status != Status.CLOSED
    labels = [e.label for e in case_timeline(case=original).events]
    assert f"병합: 중복 케이스 #{duplicate.pk}가 이 케이스로 병합됨" in labels
    labels = [e.label for e in case_timeline(case=duplicate).events]
    assert any(label.startswith(f"병합: 케이스 #{original.pk}로 병합됨") for label in labels)
    html = client_for(staff.agent).get(reverse("workspace:case", args=[duplicate.pk]))
    assert f"이 케이스는 #{original.pk}에 병합되었습니다" in html.content.decode()


def test_merge_of_different_playbooks_is_refused_with_a_reason(staff, make_case):
    original = make_case(assignee=staff.agent)
    parking = _file(staff, playbook="parking_double_payment")
    with pytest.raises(CaseError, match="플레이북이 다른 케이스는 병합할 수 없습니다") as refused:
        case_merge(duplicate=parking, original=original, actor=staff.lead)
    assert "주차 이중결제" in refused.value.message and "대리 미운행건" in refused.value.message
    parking.refresh_from_db()
    assert parking.status != Status.CLOSED and not CaseLink.objects.exists()


def test_merge_refusals_change_nothing(staff, make_case):
    a, b, c = (make_case(assignee=staff.agent) for _ in range(3))
    case_merge(duplicate=b, original=a, actor=staff.lead)
    with pytest.raises(CaseError, match="이미 종결"):
        case_merge(duplicate=b, original=c, actor=staff.lead)
    with pytest.raises(CaseError, match=f"#{a.pk}로 병합해 주세요"):
        case_merge(duplicate=c, original=b, actor=staff.lead)
    with pytest.raises(CaseError, match="권한이 없습니다"):
        case_merge(duplicate=c, original=a, actor=staff.agent_b)
    c.refresh_from_db()
    assert c.status != Status.CLOSED and CaseLink.objects.count() == 1


def test_merge_through_the_page_and_a_refusal_as_a_message(staff, make_case, client_for):
    original = make_case(assignee=staff.agent)
    duplicate = make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    refused = client.post(
        reverse("workspace:case_merge", args=[duplicate.pk]), {"original": "999999"}
    )
    assert "케이스 #999999를 찾을 수 없습니다." in messages_of(refused)
    response = client.post(
        reverse("workspace:case_merge", args=[duplicate.pk]), {"original": f"#{original.pk}"}
    )
    assert response.status_code == 302
    assert f"케이스 #{duplicate.pk}를 원건 #{original.pk}에 병합했습니다." in messages_of(response)
    page = client.get(reverse("workspace:case", args=[original.pk])).content.decode()
    assert "이 케이스로 병합된 중복 건" in page


def test_intake_duplicate_guard_offers_the_link_and_the_merge(staff, make_case, client_for):
    """Seed 002: a second post for an open call is its own case linked to the first (intake's
    duplicate mark); its page offers '중복 접수' link and the merge in one click each."""
    from cases.services import case_create

    from .conftest import driver_facts

    first = make_case(assignee=staff.agent, call_id="950001")
    result = case_create(
        playbook="driver_nonride_cancel",
        facts=driver_facts(call_id="950001"),
        channel="chatbot_board",
        actor=staff.agent,
        customer_phone="010-0000-1234",
        driver_phone="010-0000-5678",
    )
    second = result.case
    assert result.answered_duplicate_of == first
    client = client_for(staff.agent)
    page = client.get(reverse("workspace:case", args=[second.pk]))
    suggestions = {(s.case_id, s.kind) for s in page.context["related"].suggestions}
    assert (first.pk, LinkKind.DUPLICATE) in suggestions
    html = unescape(page.content.decode())
    assert "중복 접수 원건 (접수 시 확인)" in html and f"'중복 접수'로 #{first.pk} 연결" in html
    response = client.post(
        reverse("workspace:case_link", args=[second.pk]),
        {"other": first.pk, "kind": LinkKind.DUPLICATE},
    )
    assert response.status_code == 302
    assert CaseLink.objects.filter(case=second, other=first, kind=LinkKind.DUPLICATE).exists()
    again = client.get(reverse("workspace:case", args=[second.pk])).context["related"]
    assert (first.pk, LinkKind.DUPLICATE) not in {(s.case_id, s.kind) for s in again.suggestions}


def test_workspace_intake_message_offers_the_link(staff, make_case, client_for):
    from .test_new_case import URL, _post_data

    make_case(call_id="960001")
    response = client_for(staff.agent).post(URL, _post_data(call_id="960001"))
    assert response.status_code == 302
    assert any("'관련 케이스'에서 원건" in m for m in messages_of(response))
