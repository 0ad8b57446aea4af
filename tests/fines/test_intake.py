"""Fine intake through the service: case + notice + decision + payout in one transaction;
bad input stores nothing; the duplicate guard by call ID and notice."""

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.exceptions import FactsInvalid
from cases.models import Case, EscalationPost
from fines.models import FineNotice, FinePayout
from fines.services import FineIntakeResult
from templates_app.models import OutboundMessage
from tests.fines.conftest import AT, CUSTOMER_PHONE, DRIVER_PHONE, SEOUL

pytestmark = pytest.mark.django_db

DEPOSIT = "대리_챗봇게시판_과태료_입금예정"
POINTS = "대리기사_챗봇게시판_과태료_포인트차감예정"
DELAY = "대리_챗봇게시판_과태료_담당부서전달_시간소요양해"


def sms(case):
    return list(
        OutboundMessage.objects.filter(object_id=case.pk)
        .order_by("pk")
        .values_list("template__name", "recipient", "body")
    )


def digits(phone):
    return "".join(ch for ch in phone if ch.isdigit())


def nothing_stored():
    return not (Case.objects.exists() or FineNotice.objects.exists() or FinePayout.objects.exists())


def test_general_fine_creates_case_notice_payout_and_sms_first(intake):
    result = intake()
    assert isinstance(result, FineIntakeResult) and result.created
    case, notice, payout = result.case, result.notice, result.payout
    case.refresh_from_db()
    assert case.playbook == "traffic_fine" and case.outcome == "payout"
    assert case.status == "decided" and case.call_id == "700001"
    assert "account_number" not in case.facts
    assert notice.case_id == case.pk and notice.evidence_result == "pass"
    assert notice.category == "general"
    assert payout.status == "scheduled"
    assert payout.scheduled_at == datetime(2024, 6, 17, 14, 0, tzinfo=SEOUL)
    assert (payout.amount, payout.call_id, payout.holder) == (40000, "700001", "홍길동")
    assert payout.charge_driver is True and payout.verified_by == "format"
    messages = sms(case)
    assert [m[0] for m in messages] == [DEPOSIT, POINTS]
    # Drafted at the decision, each at its own step; nothing queued at intake (issue 13.4).
    drafts = OutboundMessage.objects.filter(object_id=case.pk).order_by("pk")
    assert [(m.status, m.step.code) for m in drafts] == [
        ("planned", "sms_deposit_scheduled"),
        ("planned", "sms_points_deduction"),
    ]
    assert digits(messages[0][1]) == digits(CUSTOMER_PHONE)
    assert digits(messages[1][1]) == digits(DRIVER_PHONE)
    assert "700001" in messages[1][2]  # the driver SMS names the call ID
    assert "40,000원" in messages[0][2] and "6월 17일" in messages[0][2]
    for _name, _recipient, body in messages:
        assert "110000123456" not in body
    posts = EscalationPost.objects.filter(case=case)
    assert [(p.board, p.template) for p in posts] == [("[운영] 대리CS대응", "일반_과태료")]


def test_sms_are_queued_before_the_payout_row(intake, monkeypatch):
    import templates_app.services as outbox

    events = []
    real_queue, real_save = outbox.message_queue, FinePayout.save

    def queue(**kwargs):
        events.append(("sms", kwargs["template_name"]))
        return real_queue(**kwargs)

    def save(self, *args, **kwargs):
        events.append(("payout", self.status))
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(outbox, "message_queue", queue)
    monkeypatch.setattr(FinePayout, "save", save)
    intake()
    assert events.index(("sms", DEPOSIT)) < events.index(("sms", POINTS))
    assert events.index(("sms", POINTS)) < events.index(("payout", "scheduled"))


def test_driver_phone_comes_from_the_ride_record(intake):
    result = intake()
    result.case.refresh_from_db()
    assert result.case.driver_phone.replace("-", "") == DRIVER_PHONE.replace("-", "")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"account_number": "110-abc-123456"}, "account_number"),
        ({"account_number": "1100001"}, "account_number"),
        ({"amount": 0}, "amount"),
        ({"amount": -1}, "amount"),
        ({"violation_at": "2024-06-21T09:00:00+09:00"}, "violation_at"),
    ],
)
def test_bad_input_stores_nothing(intake, overrides, field):
    with pytest.raises(FactsInvalid) as info:
        intake(**overrides)
    assert field in info.value.errors
    assert nothing_stored()


def test_a_file_that_is_not_an_image_is_refused(staff, ride):
    from fines.services import fine_intake
    from tests.fines.conftest import fine_facts

    fake = SimpleUploadedFile("notice.png", b"%PDF-1.4 not an image", content_type="image/png")
    with pytest.raises(FactsInvalid) as info:
        fine_intake(
            facts=fine_facts(), actor=staff.agent, notice_image=fake, customer_phone=CUSTOMER_PHONE
        )
    assert "이미지가 아닙니다" in " ".join(info.value.errors["notice_image"])
    assert nothing_stored()


def test_an_image_too_large_is_refused(staff, ride, settings):
    from fines.services import fine_intake
    from tests.fines.conftest import fine_facts, notice_image

    settings.KMCS_FINE_NOTICE_MAX_BYTES = 10
    with pytest.raises(FactsInvalid) as info:
        fine_intake(
            facts=fine_facts(),
            actor=staff.agent,
            notice_image=notice_image(),
            customer_phone=CUSTOMER_PHONE,
        )
    assert "MB 이하" in " ".join(info.value.errors["notice_image"])
    assert nothing_stored()


def test_missing_notice_requests_documents_without_a_payout(intake):
    result = intake(image=False, amount=None)
    assert result.outcome == "request_documents"
    assert result.payout is None and not FinePayout.objects.exists()
    assert "고지서" in result.proposal.figures["answer"]
    assert result.notice.claims_violation is False  # an incomplete notice holds no claim


def test_missing_account_requests_documents(intake):
    result = intake(account_number="", bank="", account_holder="")
    assert result.outcome == "request_documents"
    assert "계좌" in result.proposal.reason
    assert not FinePayout.objects.exists()


def test_second_fine_for_the_same_notice_is_rejected_and_points_to_the_first(intake, staff):
    first = intake()
    second = intake(actor=staff.agent_b)
    assert second.outcome == "rejected_duplicate"
    assert second.duplicate_of.pk == first.notice.pk
    assert f"#{first.case.pk}" in second.proposal.reason
    assert second.notice.duplicate_of_id == first.notice.pk
    assert second.notice.claims_violation is False
    assert FinePayout.objects.count() == 1
    second.case.refresh_from_db()
    assert second.case.outcome == "rejected_duplicate"
    assert second.case.result_type == "rejected_duplicate"


def test_duplicate_while_the_first_case_is_open_stores_nothing(intake, staff):
    first = intake(decide=False)
    assert first.case.status == "new"
    second = intake(actor=staff.agent_b)
    assert second.outcome == "rejected_duplicate" and not second.created
    assert second.case.pk == first.case.pk
    assert FineNotice.objects.count() == 1 and Case.objects.count() == 1


def test_same_call_other_violation_is_a_new_fine(intake):
    intake()
    other = intake(violation_at="2024-06-15T22:30:00+09:00", amount=50000)
    assert other.outcome == "payout"
    assert FinePayout.objects.count() == 2


def test_same_violation_seconds_apart_is_the_same_notice(intake):
    intake(violation_at="2024-06-15T22:20:05+09:00")
    again = intake(violation_at="2024-06-15T22:20:45+09:00")
    assert again.outcome == "rejected_duplicate"


def test_database_refuses_a_second_claim_even_without_the_python_check(intake):
    from django.db import IntegrityError, transaction

    first = intake()
    clone = FineNotice(
        call_id=first.notice.call_id,
        violation_at=first.notice.violation_at,
        category="general",
        claims_violation=True,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_replay_with_the_idempotency_key_returns_the_same_case(intake):
    first = intake(idempotency_key="board-post-1")
    again = intake(idempotency_key="board-post-1")
    assert not again.created and again.case.pk == first.case.pk
    assert FinePayout.objects.count() == 1


def test_special_issue_fine_is_transferred_with_the_delay_sms(intake):
    result = intake(violation_kind="disabled_parking")
    assert result.outcome == "transfer_to_manager"
    assert result.payout is None
    assert [m[0] for m in sms(result.case)] == [DELAY]
    post = EscalationPost.objects.get(case=result.case)
    assert post.template == "특이이슈_과태료"


def test_consigned_fine_pays_without_driver_sms_and_files_the_cmnp_form(intake):
    result = intake(call_type="consigned")
    assert result.outcome == "payout"
    assert result.payout.charge_driver is False
    assert [m[0] for m in sms(result.case)] == [DEPOSIT]
    boards = list(EscalationPost.objects.filter(case=result.case).values_list("board", "template"))
    assert boards == [
        ("[운영] 대리CS대응", "위탁콜_과태료"),
        ("[운영] 대리 카모-CMNP CS운영", "[KM > CMNP] 위탁콜 과태료 양식"),
    ]


def test_evidence_mismatch_is_transferred_to_the_manager(intake):
    """Seed 004 ② "3. ... 장소/시간 불일치, 주정차위반 등 특이이슈 과태료에 해당하는 경우 4. ...
    특이이슈_과태료 → 담당자(관리자) 이관": decided at intake as a transfer, nothing paid."""
    result = intake(violation_lat=35.1796, violation_lng=129.0756)  # Busan
    assert result.outcome == "transfer_to_manager"
    assert result.notice.evidence_result == "fail"
    assert result.notice.category == "special"
    result.case.refresh_from_db()
    assert result.case.status == "decided"  # the manager then confirms or accepts the ride
    assert not FinePayout.objects.exists()


def test_unknown_evidence_without_a_ride_still_proposes_payout(staff):
    from fines.services import fine_intake
    from tests.fines.conftest import fine_facts, notice_image

    result = fine_intake(
        facts=fine_facts(call_id="799999"),
        actor=staff.agent,
        notice_image=notice_image(),
        customer_phone=CUSTOMER_PHONE,
        driver_phone=DRIVER_PHONE,
        at=AT,
    )
    assert result.notice.evidence_result == "unknown"
    assert result.outcome == "payout"
    assert "evidence_manual" in [s.code for s in result.proposal.steps]


def test_a_second_notice_of_the_same_call_is_its_own_case(intake):
    """One ride can bring two different notices: the duplicate key is call ID + violation
    minute, so the second notice is a new case, not refused as a duplicate."""
    first = intake(decide=False)
    second = intake(violation_at="2024-06-15T22:30:00+09:00")
    assert second.case.pk != first.case.pk
    assert second.case.business_key != first.case.business_key
    assert second.case.business_key.startswith(first.case.call_id + ":")
    assert second.outcome != "rejected_duplicate"


def test_the_same_notice_twice_points_to_the_first_case(intake):
    first = intake()  # decided (payout), so no longer open: a new case records the rejection
    again = intake(idempotency_key="another-submission")
    assert again.outcome == "rejected_duplicate"
    assert again.case.pk != first.case.pk
    assert again.notice.duplicate_of_id == first.notice.pk


def test_auditor_cannot_take_in_fines(intake, staff):
    from cases.exceptions import ActionNotAllowed

    with pytest.raises(ActionNotAllowed):
        intake(actor=staff.auditor)
    assert nothing_stored()


def test_outcomes_without_sms_save_the_board_answer(intake, staff):
    docs = intake(image=False, amount=None)
    docs.case.refresh_from_db()
    assert "고지서 이미지" in docs.case.answer_text and docs.case.answer_saved_at
    first = intake(violation_at="2024-06-15T22:30:00+09:00")
    dup = intake(actor=staff.agent_b, violation_at="2024-06-15T22:30:00+09:00")
    dup.case.refresh_from_db()
    assert "이미 접수" in dup.case.answer_text
    first.case.refresh_from_db()
    assert first.case.answer_text == ""  # SMS go first: the agent saves it after sending


def test_the_fine_sms_go_out_automatically_once_the_payout_step_is_done(
    intake, staff, django_capture_on_commit_callbacks, settings
):
    """Fine intake queues no SMS: the decision drafts them at their (automatic) steps; when the
    agent has done every step up to the payout, the deposit SMS goes, and once delivered the
    driver's points SMS follows, each exactly once."""
    from cases.exceptions import StepNotReached
    from cases.services import case_step_complete, case_step_send
    from tests.templates_app.conftest import GATEWAY_PATH, RecordingGateway

    settings.KMCS_SMS_GATEWAY = GATEWAY_PATH
    RecordingGateway.reset()
    with django_capture_on_commit_callbacks(execute=True):
        case = intake().case
    assert RecordingGateway.calls == []
    with pytest.raises(StepNotReached) as info:
        case_step_send(case=case, step_code="sms_deposit_scheduled", actor=staff.agent)
    assert "신규 지급 건 생성" in info.value.message
    order = list(case.steps.order_by("order").values_list("code", flat=True))
    before = order[: order.index("sms_deposit_scheduled")]
    for code in before[:-1]:
        case_step_complete(case=case, step_code=code, actor=staff.agent)
    assert RecordingGateway.calls == []  # the payout step is still open
    with django_capture_on_commit_callbacks(execute=True):
        case_step_complete(case=case, step_code=before[-1], actor=staff.agent)
    assert [c.body for c in RecordingGateway.calls if "40,000원" in c.body]
    statuses = dict(
        OutboundMessage.objects.filter(object_id=case.pk).values_list("template__name", "status")
    )
    assert statuses == {DEPOSIT: "sent", POINTS: "sent"}
    assert len(RecordingGateway.calls) == 2
    done = case.steps.filter(code__in=["sms_deposit_scheduled", "sms_points_deduction"])
    assert set(done.values_list("status", flat=True)) == {"done"}
    RecordingGateway.reset()
