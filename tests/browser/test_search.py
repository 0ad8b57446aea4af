"""Search, customer history and related cases in a real browser (issue 14.1-14.3).

An agent types a customer's full phone number into the search box every workspace page carries:
the results page's URL holds a token, never the number; the case page shows the customer's
other cases (the one refunded earlier with its outcome and date, the phone masked); a second
post for the same call, which intake's duplicate guard marked, is linked and then merged into
its original with one click each. Screenshots: test-artifacts/browser/search-*.png.
"""

from __future__ import annotations

import pytest

from .conftest import login, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "010-2468-1357"


@pytest.fixture
def cases(reference_data, make_user):
    from cases.labels import outcome_label
    from cases.services import (
        case_assign,
        case_create,
        case_decide,
        staff_profile_set_services,
    )
    from tests.workspace.conftest import driver_facts

    lead = make_user("team_lead", username="lead_search")
    agent = make_user("agent", username="agent_search")
    staff_profile_set_services(user=agent, services=["driver"], actor=lead)

    def file(call_id: str):
        return case_create(
            playbook="driver_nonride_cancel",
            facts=driver_facts(call_id=call_id, origin="서초 반포한강공원"),
            channel="chatbot_board",
            actor=agent,
            customer_phone=PHONE,
            driver_phone="010-1111-0000",
        )

    # The refund of last week, decided by this agent (an agent sees only the cases they work).
    earlier = file("970001").case
    case_assign(case=earlier, assignee=agent, actor=lead)
    earlier = case_decide(case=earlier, actor=agent)
    original = file("970002").case
    repeat = file("970002")
    assert repeat.answered_duplicate_of == original
    return {
        "agent": agent,
        "earlier": earlier,
        "outcome": outcome_label(earlier.playbook, earlier.outcome),
        "original": original,
        "repeat": repeat.case,
    }


def test_search_history_link_and_merge(open_page, cases):
    from cases.models import Case, CaseLink, LinkKind, Status

    earlier, original, repeat = cases["earlier"], cases["original"], cases["repeat"]
    page, screens = open_page("search")
    login(page, "agent_search")

    # 1. The box on the queue: a full phone number, sent by POST; the URL carries a token.
    page.fill("#site-search", PHONE)
    with page.expect_navigation():
        page.press("#site-search", "Enter")
    assert "/work/search/?t=" in page.url
    assert "2468" not in page.url and "1357" not in page.url
    found = page.locator("#case-table td.card-title").all_inner_texts()
    assert sorted(found) == sorted(f"#{case.pk}" for case in (earlier, original, repeat))
    assert "010-****-1357" in page.locator("#search-summary").inner_text()
    screens.shot("results-by-phone")

    # Free Korean text (출발지) finds the same cases.
    page.fill("#site-search", "반포한강")
    submit(page, "form.search-box [type=submit]")
    assert "/work/search/?t=" in page.url
    found = page.locator("#case-table td.card-title").all_inner_texts()
    assert sorted(found) == sorted(f"#{case.pk}" for case in (earlier, original, repeat))

    # 2. The case page: the customer's other cases with outcome and date, phone masked.
    page.goto(f"/work/cases/{original.pk}/")
    history = page.locator("#reference-history")
    row = history.locator("tr").filter(has=page.locator(f"a[href='/work/cases/{earlier.pk}/']"))
    assert cases["outcome"] and cases["outcome"] in row.inner_text()
    assert earlier.created_at.strftime("%Y-") in row.inner_text()
    assert "010-****-1357" in row.inner_text() and PHONE not in history.inner_text()
    assert "같은 고객 전화번호" in row.inner_text()
    screens.shot("history-panel")

    # 3. The repeat post: the duplicate guard's mark offers the link, then the merge.
    page.goto(f"/work/cases/{repeat.pk}/")
    assert "중복 접수 원건 (접수 시 확인)" in page.locator("#related-links").inner_text()
    screens.shot("duplicate-offered")
    submit(page, f"#related-suggestions button:has-text(\"'중복 접수'로 #{original.pk} 연결\")")
    assert CaseLink.objects.filter(case=repeat, other=original, kind=LinkKind.DUPLICATE).exists()
    assert "중복 접수" in page.locator("#related-links").inner_text()
    submit(page, f"#related-suggestions button:has-text('원건 #{original.pk}에 병합')")
    assert (
        f"이 케이스는 #{original.pk}에 병합되었습니다" in page.locator("#merged-into").inner_text()
    )
    screens.shot("merged")
    assert Case.objects.get(pk=repeat.pk).status == Status.CLOSED
    assert Case.objects.get(pk=original.pk).status != Status.CLOSED

    # The original lists the merged duplicate; both histories are still there.
    page.goto(f"/work/cases/{original.pk}/")
    assert "이 케이스로 병합된 중복 건" in page.locator("#related-links").inner_text()
    assert Case.objects.get(pk=repeat.pk).history.count() >= 2
    screens.shot("original-after-merge")
