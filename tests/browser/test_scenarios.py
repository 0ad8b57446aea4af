"""Three people at work, in a real browser (Chromium via Playwright) against a live server:

1. a team lead logs in to the admin, previews an SMS template with sample values, and decides a
   non-ride cancellation from the case list (confirm page with the SMS previews);
2. an agent works a parking double payment from the queue to closed (take, decide as proposed:
   the SMS drafted at its step, the checklist in order with the SMS sent at its step, then the
   answer, close);
3. an auditor reads the history and finds no control that edits or deletes it;
4. an agent mistypes the password five times: the real login form locks the (user, address)
   pair out, the right password is refused too, a colleague at the same desk still logs in.

Every step leaves a screenshot in test-artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest

from .conftest import PASSWORD, login, login_attempt, submit
from .test_shift import work_the_steps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER_PHONE = "010-9876-5432"
DRIVER_PHONE = "010-8765-4321"


@pytest.fixture
def people(reference_data, make_user):
    from cases.services import staff_profile_set_services

    lead = make_user("team_lead", username="lead_kim")
    agent = make_user("agent", username="agent_lee")
    auditor = make_user("auditor", username="auditor_park")
    staff_profile_set_services(user=agent, services=["parking", "driver"], actor=lead)
    return {"lead": lead, "agent": agent, "auditor": auditor}


def _nonride_case(actor, call_id="970001"):
    from cases.services import case_create

    result = case_create(
        playbook="driver_nonride_cancel",
        facts={
            "received_on": "2024-12-04",
            "driver_id": "drv-1001",
            "call_id": call_id,
            "already_cancelled": False,
            "has_open_duplicate": False,
            "meter_distance_km": "0.0",
            "meter_minutes": 1,
            "start_equals_last_point": True,
            "cancel_reason_recorded": False,
            "fare_amount": 15000,
            "called_on": "2024-12-03",
            "origin": "강남역",
            "ob_unreachable": False,
        },
        channel="chatbot_board",
        actor=actor,
        customer_phone=CUSTOMER_PHONE,
        driver_phone=DRIVER_PHONE,
        driver_id="drv-1001",
    )
    assert result.created
    return result.case


def _parking_case(actor):
    from cases.services import case_create

    result = case_create(
        playbook="parking_double_payment",
        facts={
            "channel": "chatbot_board",
            "lot_name": "한빛 주차장",
            "lot_district": "서울 강남구",
            "entry_at": "2024-12-03T14:05:00+09:00",
            "exit_at": "2024-12-03T15:05:00+09:00",
            "other_app": "modu",
            "reservation_history_attached": True,
            "payment_history_attached": True,
            "ticket_hours": 2,
            "pass_amount": 3000,
            "car_number": "12가3456",
        },
        channel="chatbot_board",
        actor=actor,
        customer_phone=CUSTOMER_PHONE,
        references={"parking_payment_id": "PP-20241203-0001"},
    )
    assert result.created, result.message
    return result.case


def test_a_lead_previews_an_sms_and_decides_a_nonride_cancellation(people, open_page):
    from cases.models import Case
    from templates_app.models import OutboundMessage, SmsTemplate

    case = _nonride_case(people["agent"])
    template = SmsTemplate.objects.get(name="대리_챗봇게시판_기사미운행건결제취소(승인)")
    page, screens = open_page("lead")

    login(page, "lead_kim", admin=True)
    screens.shot("admin-index")
    assert page.locator("#site-name").inner_text().strip() == "KMCS 백오피스"

    # The SMS preview: sample values in, the message and its length class out.
    page.goto(f"/admin/templates_app/smstemplate/{template.pk}/preview/")
    screens.shot("preview-form")
    amount = page.locator("input[name=amount]")
    amount.fill("23000")
    submit(page, "#content form [type=submit]")
    screens.shot("preview-rendered")
    body = page.locator("#content").inner_text()
    assert "23,000원" in body
    assert re.search(r"SMS|LMS", body)

    # The case list: select the case, action "decide as proposed", check the SMS, confirm.
    page.goto("/admin/cases/case/")
    page.check(f"input[name=_selected_action][value='{case.pk}']")
    page.select_option("select[name=action]", "decide_cases")
    screens.shot("case-list-action")
    submit(page, "button[name=index]")
    screens.shot("decide-confirm")
    confirm = page.locator("#content").inner_text()
    assert "approved" not in confirm  # Korean label only (issue 13.8)
    assert "승인" in confirm
    assert "대리_챗봇게시판_기사미운행건결제취소(승인)" in confirm
    assert "15,000원" in confirm  # the customer SMS, rendered before anything is sent
    assert "9876" not in confirm  # phone numbers masked on the confirm page
    submit(page, "input[type=submit][value='제안대로 결정하고 문자 발송']")
    screens.shot("decided")
    assert "결정" in page.locator("ul.messagelist").inner_text()

    case.refresh_from_db()
    assert (case.status, case.outcome) == ("decided", "approved")
    # The decision drafts both SMS at their step (issue 13.4): nothing is sent before the agent
    # reaches "'취소완료' SMS 발송" after "어드민 확인 후 결제취소".
    drafted = OutboundMessage.objects.filter(object_id=case.pk)
    assert drafted.count() == 2 and set(drafted.values_list("status", flat=True)) == {"planned"}
    assert set(drafted.values_list("step__code", flat=True)) == {"send_sms"}
    assert Case.history.filter(id=case.pk, history_user=people["lead"]).exists()


def test_an_agent_works_a_parking_double_payment_from_queue_to_closed(people, open_page):
    from cases.models import Case, CaseStep
    from templates_app.models import OutboundMessage

    case = _parking_case(people["agent"])
    page, screens = open_page("agent")
    login(page, "agent_lee")
    assert page.url.endswith("/work/")
    screens.shot("queue")
    row = page.locator(f"a[href='/work/cases/{case.pk}/']").first
    assert row.is_visible()
    with page.expect_navigation():
        row.click()
    screens.shot("case-new")

    submit(page, "#status form[action$='/take/'] button")
    screens.shot("taken")
    case.refresh_from_db()
    assert case.assignee == people["agent"]

    submit(page, "#proposal form[action$='/decide/'] button")
    screens.shot("decided")
    case.refresh_from_db()
    assert case.status == "decided", page.locator("main").inner_text()[:500]
    # The decision drafts the SMS at their step (issue 13.4); none is sent yet.
    messages = OutboundMessage.objects.filter(object_id=case.pk)
    assert messages.exists() and set(messages.values_list("status", flat=True)) == {"planned"}

    # The checklist, in order, one click per step: "문자 발송" at the SMS step (live server:
    # the commit sends it in-process and the delivery ticks the step), "완료" at the others.
    steps = CaseStep.objects.filter(case=case)
    assert steps.exists()
    work_the_steps(page, case.pk)
    screens.shot("checklist-done")
    assert not steps.exclude(status="done").exists(), list(steps.values_list("code", "status"))
    assert set(messages.values_list("status", flat=True)) == {"sent"}
    assert page.locator("#steps form[action$='/steps/']").count() == 0

    # The answer shown on the chatbot board, saved after the SMS went out (seed 002).
    answer_text = "타사 주차권 확인되어 주차패스 결제를 취소했습니다. 3~5영업일 내 환불됩니다."
    page.fill("#answer form textarea", answer_text)
    submit(page, "#answer form button[type=submit]")
    screens.shot("answer-saved")
    assert "저장됨" in page.locator("#answer").inner_text()
    case.refresh_from_db()
    assert case.answer_text == answer_text and case.answer_saved_at is not None
    for number in range(page.locator("#posts form[action$='/posts/link/']").count()):
        link = page.locator("#posts form[action$='/posts/link/']").first
        link.locator("[name=link_url]").fill(f"https://agit.example/posts/{case.pk}{number}")
        with page.expect_navigation():
            link.locator("button").click()

    submit(page, "#status form[action$='/transition/'] button:has-text('종결')")
    screens.shot("closed")
    case.refresh_from_db()
    assert case.status == "closed", page.locator("main").inner_text()[:500]
    assert case.closed_at is not None
    assert Case.history.filter(id=case.pk, history_user=people["agent"]).count() >= 4
    # A closed case offers no more editing: no answer form, no step buttons, only reopen
    # (for those who may).
    assert page.locator("#answer").count() == 0


def test_an_auditor_reads_the_history_and_finds_no_edit_control(people, open_page):
    from cases.services import case_decide

    case = _nonride_case(people["agent"], call_id="970002")
    case_decide(case=case, actor=people["lead"])
    page, screens = open_page("auditor")
    login(page, "auditor_park")
    assert page.url.endswith("/audit/")
    screens.shot("history")
    text = page.locator("main").inner_text()
    assert "변경" in text or "생성" in text
    assert "9876" not in text and "8765" not in text  # phones masked in the audit trail

    page.goto(f"/audit/cases/{case.pk}/")
    screens.shot("case-history")
    main = page.locator("main")
    assert "lead_kim" in main.inner_text()
    # No form, button or link in the history that could change or delete anything.
    assert main.locator("form[method=post], form[method=POST]").count() == 0
    assert main.locator("button").count() == main.locator("form[method=get] button").count()
    hrefs = main.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href') || '')")
    assert not [h for h in hrefs if re.search(r"/(change|delete|revert)/", h)], hrefs

    # The admin's history of the case: readable, and no revert button on a version page.
    page.goto(f"/admin/cases/case/{case.pk}/history/")
    screens.shot("admin-history")
    version = page.locator("#change-history a[href*='/history/']").first
    with page.expect_navigation():
        version.click()
    assert re.search(r"/history/\d+/$", page.url), page.url
    screens.shot("admin-version")
    content = page.locator("#content")
    assert content.locator("input[type=submit], button[type=submit]").count() == 0
    assert page.locator("input[name=_save]").count() == 0
    # And a hand-made POST of the version page is refused.
    status = page.evaluate(
        """async () => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const r = await fetch(location.href, {method: 'POST', headers: {'X-CSRFToken': token},
                                                  body: new URLSearchParams({_save: '1'})});
            return r.status;
        }"""
    )
    assert status == 403


def test_five_wrong_passwords_lock_the_login_in_the_browser(people, open_page):
    from axes.models import AccessAttempt

    page, screens = open_page("lockout")
    for attempt in range(1, 5):
        login_attempt(page, "agent_lee", f"wrong-{attempt}")
        assert "/login/" in page.url
        assert page.locator("#locked-out").count() == 0, attempt
    screens.shot("four-failures")
    login_attempt(page, "agent_lee", "wrong-5")
    screens.shot("locked-out")
    assert "로그인이 잠겼습니다" in page.locator("#locked-out").inner_text()
    assert "30분" in page.locator("#locked-out").inner_text()

    # The right password, too late: still locked, and no session.
    login_attempt(page, "agent_lee", PASSWORD)
    assert page.locator("#locked-out").count() == 1
    page.goto("/work/")
    assert "/login/" in page.url
    assert AccessAttempt.objects.filter(username="agent_lee").get().failures_since_start >= 5

    # The lock is on the (user, address) pair: a colleague at the same desk logs in.
    colleague, screens = open_page("lockout-colleague")
    login(colleague, "lead_kim")
    screens.shot("colleague-in")
    assert colleague.locator("#locked-out").count() == 0
