"""Seed 004 to the letter (issue 15 B 004, h23): each test quotes the seed line it enforces."""

from datetime import datetime

import pytest

from cases.models import CaseStep
from cases.playbooks import evaluate, traffic_fine
from cases.playbooks.base import StaticEnv
from fines import services
from templates_app.models import OutboundMessage, SmsTemplate
from tests.fines.conftest import SEOUL

pytestmark = pytest.mark.django_db

DONE = "대리_챗봇게시판_과태료_처리완료"
DONE_GENERAL = "대리_챗봇게시판_과태료_처리완료_일반위탁콜"


def seoul(day, hh, mm=0):
    return datetime(2024, 6, day, hh, mm, tzinfo=SEOUL)


def step_codes(case):
    return list(CaseStep.objects.filter(case=case).order_by("order").values_list("code", flat=True))


# --- "2. 아지트에서 콜ID 조회로 중복 여부 체크 (중요) ㄴ 중복건 발생시 과태료 고지서 및 내용 중복 체크 필수"


def test_same_call_id_other_violation_time_is_flagged_for_the_content_check(intake):
    first = intake()
    second = intake(violation_at="2024-06-15T22:30:00+09:00", violation_place="서울 강남구 선릉로")
    assert second.created and second.case.pk != first.case.pk
    # Not silently new: the agent confirms it is a different violation of the same call.
    assert second.case.facts["same_call_case_id"] == first.case.pk
    assert "content_duplicate_check" in step_codes(second.case)
    check = next(s for s in second.proposal.steps if s.code == "content_duplicate_check")
    assert "내용 중복 체크" in check.label and f"#{first.case.pk}" in check.label
    # The step comes before the payout and the SMS, so nothing leaves before the agent checked.
    order = [s.code for s in second.proposal.steps]
    assert order.index("content_duplicate_check") < order.index("payout_create")
    # The first notice of a call has no such step.
    assert "content_duplicate_check" not in step_codes(first.case)


def test_the_same_notice_again_is_still_the_duplicate_not_the_content_check(intake):
    first = intake()
    again = intake()
    assert again.outcome == "rejected_duplicate"
    assert again.duplicate_of is not None and again.duplicate_of.case_id == first.case.pk


# --- "[고객 OB] 기사 주장 전달 + 블랙박스 요청 양해 + 2주 정도 소요 안내"


def test_the_customer_is_told_about_two_weeks_whatever_the_internal_deadline():
    facts = {
        "call_id": "700001",
        "has_notice_image": True,
        "bank": "088",
        "account_number": "110-000-123456",
        "account_holder": "홍길동",
        "violation_at": "2024-06-15T22:20:00+09:00",
        "amount": 40000,
        "evidence_result": "pass",
        "violation_kind": "parking_enforcement",
        "driver_disputes": True,
    }
    at = datetime(2024, 6, 17, 10, 0, tzinfo=SEOUL)
    p = evaluate("traffic_fine", facts, at, StaticEnv())
    step = next(s for s in p.steps if s.code == "dispute_dashcam_request")
    assert "2주 정도 소요" in step.script
    assert step.script == traffic_fine.DASHCAM_SCRIPT


# --- 처리완료 SMS: the seed prescribes it for special issues only ("10. 처리 완료 시 [고객]
# 처리완료 SMS 발송"); the 일반/위탁콜 processes end with "[고객] 입금 예정 SMS 전송" and history.


def test_general_fine_gets_no_done_sms_while_the_template_is_off(intake):
    assert SmsTemplate.objects.get(code=DONE_GENERAL).enabled is False
    result = intake(at=seoul(17, 9))
    assert "sms_done" not in step_codes(result.case)
    assert not OutboundMessage.objects.filter(template__code=DONE_GENERAL).exists()
    services.payout_batch_run(at=seoul(17, 14))
    assert not OutboundMessage.objects.filter(template__code__in=[DONE, DONE_GENERAL]).exists()


def test_a_lead_switching_the_template_on_gives_the_next_general_fine_its_done_sms_at_its_step(
    intake, staff, client
):
    earlier = intake(at=seoul(17, 9))
    template = SmsTemplate.objects.get(code=DONE_GENERAL)
    # The lead switches it on in the admin (history keeps who and when).
    client.force_login(staff.lead)
    from django.urls import reverse

    url = reverse("admin:templates_app_smstemplate_change", args=[template.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or field.disabled or value is False:
            continue
        data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for sub in inline.formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if value not in (None, False):
                    data[sub.add_prefix(name)] = value
    data["enabled"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.non_field_errors(),
        [
            (f.formset.errors, f.formset.non_form_errors())
            for f in response.context["inline_admin_formsets"]
        ],
        data,
    )
    template.refresh_from_db()
    assert template.enabled is True
    assert template.history.filter(history_user=staff.lead).exists()

    later = intake(at=seoul(17, 9, 5), call_id="700001", violation_at="2024-06-15T22:31:00+09:00")
    assert "sms_done" in step_codes(later.case)
    draft = OutboundMessage.objects.get(template__code=DONE_GENERAL)
    assert draft.status == OutboundMessage.Status.PLANNED and draft.step.code == "sms_done"
    # The case decided before the switch has none.
    assert "sms_done" not in step_codes(earlier.case)

    services.payout_batch_run(at=seoul(17, 14))
    services.payout_batch_run(at=seoul(17, 14))
    sent = OutboundMessage.objects.filter(template__code=DONE_GENERAL)
    assert sent.count() == 1
    assert sent.get().status != OutboundMessage.Status.PLANNED
    assert not OutboundMessage.objects.filter(template__code=DONE).exists()


def test_special_issue_done_sms_follows_its_switch(intake, staff):
    from fines.services.batch import done_template

    assert done_template("special") == DONE
    assert done_template("general") == DONE_GENERAL
    assert done_template("consigned") == DONE_GENERAL


# --- ② "예시) 장소, 시간 불일치 건 / ..." "3. (첨부파일) 과태료 증빙자료 확인 ㄴ 장소/시간 불일치,
# 주정차위반 등 특이이슈 과태료에 해당하는 경우 4. 아지트 작성 : [운영] 대리CS대응 → 특이이슈_과태료 →
# 담당자(관리자) 이관 ... 5. [고객] 담당부서 전달 시간소요 양해 SMS 발송"

BUSAN = {"violation_lat": 35.1796, "violation_lng": 129.0756}
DELAY = "대리_챗봇게시판_과태료_담당부서전달_시간소요양해"


def test_a_place_time_mismatch_is_the_seeds_special_issue_transfer(intake):
    from cases.models import EscalationPost
    from fines.models import FinePayout

    result = intake(**BUSAN)
    assert result.notice.evidence_result == "fail"
    # 담당자(관리자) 이관, filed as a special-issue fine: never rejected at the agent's desk.
    assert result.outcome == "transfer_to_manager"
    assert result.notice.category == "special"
    assert result.case.facts.get("evidence_rejected") is not True
    post = EscalationPost.objects.get(case=result.case)
    assert (post.board, post.template) == ("[운영] 대리CS대응", "특이이슈_과태료")
    assert "장소·시간 불일치" in post.body
    assert list(
        OutboundMessage.objects.filter(object_id=result.case.pk).values_list(
            "template__name", flat=True
        )
    ) == [DELAY]
    assert "manager_evidence_review" in step_codes(result.case)
    assert not FinePayout.objects.exists()


def test_the_managers_finding_rejects_without_sending_the_delay_sms_again(intake, staff):
    from fines.models import FinePayout

    result = intake(**BUSAN)
    proposal = services.notice_evidence_review(
        notice=result.notice, actor=staff.manager, accept_mismatch=False, reason="운행 경로와 다름"
    )
    assert proposal.outcome == "rejected_evidence_mismatch"
    result.case.refresh_from_db()
    assert result.case.outcome == "rejected_evidence_mismatch"
    assert "answer_mismatch" in step_codes(result.case)
    answer = CaseStep.objects.get(case=result.case, code="answer_mismatch")
    assert answer.script == traffic_fine.MISMATCH_ANSWER
    # The 시간소요 양해 SMS is never queued twice; one the agent had not yet sent is withdrawn
    # (the customer now gets the manager's answer instead).
    delay = OutboundMessage.objects.filter(object_id=result.case.pk, template__name=DELAY)
    assert [m.status for m in delay] == [OutboundMessage.Status.CANCELLED]
    assert not FinePayout.objects.exists()
