"""End to end through the views, as an agent works a case: queue -> take -> decide (messages
drafted) -> steps in order -> the SMS at its step, then the answer -> checklist -> Agit link ->
close. Plus the refusals:
each shows a Korean message and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case, EscalationPost, UnmaskLog
from templates_app.models import OutboundMessage
from tests.templates_app.conftest import RecordingGateway, gateway  # noqa: F401 (fixture)
from tests.workspace.conftest import CUSTOMER_PHONE, messages_of

pytestmark = pytest.mark.django_db


def _url(name: str, case: Case) -> str:
    return reverse(name, kwargs={"case_id": case.pk})


def _history_count(case: Case) -> int:
    return Case.history.filter(id=case.pk).count()


@pytest.mark.usefixtures("gateway")
def test_agent_takes_decides_sends_first_then_saves_answer_and_closes(
    staff, client_for, make_case, django_capture_on_commit_callbacks
):
    case = make_case()  # unassigned, driver service: in agent_a's queue
    client = client_for(staff.agent)

    queue = client.get(reverse("workspace:queue"))
    assert case in queue.context["cases"]
    assert _url("workspace:case_take", case) in queue.content.decode()

    response = client.post(_url("workspace:case_take", case))
    assert response.status_code == 302 and response["Location"] == _url("workspace:case", case)
    case.refresh_from_db()
    assert case.assignee == staff.agent

    page = client.get(_url("workspace:case", case))
    assert page.status_code == 200
    proposal = page.context["page"]
    assert proposal.outcome == "approved" and not proposal.decided
    assert [s.code for s in proposal.proposed_steps][:3] == [
        "check_meter",
        "cancel_payment",
        "send_sms",
    ]
    assert {p.template for p in proposal.previews} == {
        "대리기사_챗봇게시판_기사미운행건결제취소(승인)",
        "대리_챗봇게시판_기사미운행건결제취소(승인)",
    }
    assert all(p.text and not p.error for p in proposal.previews)
    html = page.content.decode()
    assert "15,000원" in html  # the SMS preview, rendered
    assert "모든 상담사" in html  # who may do each step

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("workspace:case_decide", case), {"fingerprint": proposal.fingerprint}
        )
    assert response.status_code == 302
    assert any("처리 결정을 저장했습니다" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.status == "decided" and case.outcome == "approved"
    # Deciding wrote the plan: the two "취소완료" SMS are drafts of their step, nothing was sent.
    queued = OutboundMessage.objects.filter(object_id=case.pk)
    assert queued.count() == 2 and set(queued.values_list("status", flat=True)) == {"planned"}
    assert RecordingGateway.calls == []

    # SMS first: the answer is refused while the messages are not sent.
    response = client.post(_url("workspace:case_answer", case), {"text": "결제취소 완료 안내"})
    assert any("SMS 선발송 후 답변내용" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.answer_text == ""

    # The SMS step is not reached before "어드민 확인 후 결제취소": the page says so, and a
    # hand-made POST is refused with the step named.
    html = client.get(_url("workspace:case", case)).content.decode()
    assert "앞 단계를 마친 뒤 보낼 수 있습니다" in html
    response = client.post(_url("workspace:case_step_send", case), {"step_code": "send_sms"})
    assert any("어드민 확인 후 결제취소" in m for m in messages_of(response)), messages_of(response)
    assert set(queued.values_list("status", flat=True)) == {"planned"}

    for code in ("check_meter", "cancel_payment"):
        response = client.post(_url("workspace:case_step", case), {"step_code": code})
        assert response.status_code == 302, code
    assert case.steps.get(code="cancel_payment").done_by == staff.agent
    with django_capture_on_commit_callbacks(execute=True):  # the commit: the outbox sends
        response = client.post(_url("workspace:case_step_send", case), {"step_code": "send_sms"})
    assert any("문자 2건을 발송 대기열에 넣었습니다" in m for m in messages_of(response))
    assert set(queued.values_list("status", flat=True)) == {"sent"}
    assert case.steps.get(code="send_sms").status == "done"  # delivery ticked the step
    # A double click sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("workspace:case_step_send", case), {"step_code": "send_sms"})
    assert len(RecordingGateway.calls) == 2

    response = client.post(_url("workspace:case_answer", case), {"text": "결제취소 완료 안내"})
    assert messages_of(response) == ["답변내용을 저장했습니다."]
    case.refresh_from_db()
    assert case.answer_text == "결제취소 완료 안내"
    assert case.steps.get(code="save_answer").status == "done"

    response = client.post(_url("workspace:case_step", case), {"step_code": "billing_memo"})
    assert response.status_code == 302

    # Closing needs the Agit post written (seed 002): refused, then allowed once linked.
    response = client.post(_url("workspace:case_transition", case), {"transition": "close"})
    assert any("아지트" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.status == "decided"
    post = EscalationPost.objects.get(case=case)
    client.post(
        _url("workspace:case_post_link", case),
        {"post_id": post.pk, "link_url": "https://agit.example/posts/1"},
    )
    post.refresh_from_db()
    assert post.link_url == "https://agit.example/posts/1"
    assert case.steps.get(code="post_agit").status == "done"
    # Closing respects the checklist: the page and the refusal name the step still open.
    assert "close-blockers" in client.get(_url("workspace:case", case)).content.decode()
    response = client.post(_url("workspace:case_transition", case), {"transition": "close"})
    assert any("남은 단계" in m and "상담이력 저장" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.status == "decided"
    client.post(_url("workspace:case_step", case), {"step_code": "save_record"})
    response = client.post(_url("workspace:case_transition", case), {"transition": "close"})
    case.refresh_from_db()
    assert case.status == "closed", messages_of(response)


def test_action_not_allowed_in_status_shows_korean_message_and_changes_nothing(
    staff, client_for, make_case
):
    case = make_case(assignee=staff.agent)
    before = _history_count(case)
    response = client_for(staff.agent).post(
        _url("workspace:case_transition", case), {"transition": "close"}
    )
    assert response.status_code == 302 and response["Location"] == _url("workspace:case", case)
    assert messages_of(response) == ["'신규' 상태에서는 '종결'을(를) 할 수 없습니다."]
    case.refresh_from_db()
    assert case.status == "new" and _history_count(case) == before


def test_reopen_is_for_leads(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    case.status = "closed"
    case.save()
    response = client_for(staff.agent).post(
        _url("workspace:case_transition", case), {"transition": "reopen"}
    )
    assert messages_of(response) == ["'재오픈' 권한이 없습니다."]
    case.refresh_from_db()
    assert case.status == "closed"


def test_decide_refuses_a_proposal_that_changed_since_the_page_was_shown(
    staff, client_for, make_case
):
    case = make_case(assignee=staff.agent)
    response = client_for(staff.agent).post(
        _url("workspace:case_decide", case), {"fingerprint": "0" * 64}
    )
    assert any("제안 내용이 바뀌었습니다" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.status == "new" and not OutboundMessage.objects.filter(object_id=case.pk).exists()


def test_needs_review_goes_to_a_lead_who_overrides_with_a_reason(staff, client_for, make_case):
    case = make_case(assignee=staff.agent, start_equals_last_point=None)
    agent = client_for(staff.agent)
    page = agent.get(_url("workspace:case", case))
    assert page.context["page"].needs_review
    assert _url("workspace:case_decide", case) not in page.content.decode()
    response = agent.post(
        _url("workspace:case_decide", case), {"fingerprint": page.context["page"].fingerprint}
    )
    assert any("팀장 검토" in m for m in messages_of(response))
    assert agent.post(_url("workspace:case_override", case), {}).status_code == 403

    lead = client_for(staff.lead)
    response = lead.post(
        _url("workspace:case_override", case), {"outcome": "rejected_ride_recorded"}
    )
    assert messages_of(response) == ["변경 사유: 필수 항목입니다."]
    case.refresh_from_db()
    assert case.status == "new"
    lead.post(
        _url("workspace:case_override", case),
        {"outcome": "rejected_ride_recorded", "reason": "미터기 지도: 출발지와 마지막 지점 다름"},
    )
    case.refresh_from_db()
    assert case.status == "decided" and case.is_override and case.overridden_by == staff.lead


def test_ob_no_answer_creates_the_agit_post_to_write(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    response = client_for(staff.agent).post(
        _url("workspace:case_contact", case),
        {"target": "driver", "result": "no_answer", "note": "3회 부재"},
    )
    assert any("아지트 글이 만들어졌습니다" in m for m in messages_of(response))
    attempt = case.contact_attempts.get()
    assert attempt.escalation_post is not None and attempt.escalation_post.link_url == ""


def test_invalid_action_form_is_a_korean_message(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    response = client_for(staff.agent).post(
        _url("workspace:case_contact", case), {"target": "alien", "result": "answered"}
    )
    [message] = messages_of(response)
    assert message.startswith("대상: ") and "올바르게 선택해 주세요" in message
    assert not case.contact_attempts.exists()


def test_completing_a_step_that_is_not_pending_is_a_message(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)  # not decided: no checklist yet
    response = client_for(staff.agent).post(
        _url("workspace:case_step", case), {"step_code": "check_meter"}
    )
    assert messages_of(response) == ["처리할 단계가 없습니다: check_meter"]


# --- masking ------------------------------------------------------------------------------------


def test_phones_are_masked_for_agents(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    for url in (
        reverse("workspace:queue"),
        reverse("workspace:case_list"),
        _url("workspace:case", case),
    ):
        html = client.get(url).content.decode()
        assert "010-****-1234" in html, url
        assert CUSTOMER_PHONE not in html and "01000001234" not in html, url
    assert "전체 번호 보기" not in client.get(_url("workspace:case", case)).content.decode()


def test_unmasking_is_for_leads_and_logged(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    url = _url("workspace:case_unmask", case)
    assert (
        client_for(staff.agent).post(url, {"field": "customer_phone", "reason": "x"}).status_code
        == 403
    )
    assert not UnmaskLog.objects.exists()

    lead = client_for(staff.lead)
    assert "전체 번호 보기" in lead.get(_url("workspace:case", case)).content.decode()
    response = lead.post(url, {"field": "customer_phone", "reason": ""})
    assert messages_of(response) == ["조회 사유: 필수 항목입니다."]
    assert not UnmaskLog.objects.exists()

    response = lead.post(
        url, {"field": "customer_phone", "reason": "고객 재통화"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and CUSTOMER_PHONE in response.content.decode()
    log = UnmaskLog.objects.get()
    assert (log.case, log.by, log.field, log.reason) == (
        case,
        staff.lead,
        "customer_phone",
        "고객 재통화",
    )
    # The case page itself stays masked after unmasking.
    assert CUSTOMER_PHONE not in lead.get(_url("workspace:case", case)).content.decode()
