"""Issue 12 item 2: an agent could schedule a payout of any amount to any account.

Reproduced on the landed main: after a payout was cancelled, an agent POSTed the notice's payout
form with ``amount=2147483647`` and another account, and the payout was scheduled for the 14:00
batch. Now the amount is derived by the service (the notice's amount, or the seed 004 50/50 cash
split of a disputed parking fine), never taken from input, and every manual payout (a re-creation
after a cancel, another account, any payout made by hand) waits in "승인 대기" until a second
person (a lead or a manager, not its creator) approves it. The batch pays only approved payouts,
and the customer's SMS states the amount actually paid.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from cases.exceptions import ActionNotAllowed
from fines import services
from fines.models import BankTransfer, FinePayout, PayoutStatus
from fines.services._common import FineError
from kmcs_site.permissions import user_can

from .conftest import AT, CUSTOMER_PHONE, DRIVER_PHONE, SEOUL, fine_facts, png_bytes

pytestmark = pytest.mark.django_db

#: Another (made-up) Shinhan account: the one the attacker typed.
OTHER_ACCOUNT = "110-000-111222"
BATCH = AT.replace(hour=14)


def _image(name="notice.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@pytest.fixture
def fine(people):
    services.ride_upsert(
        call_id="931001",
        actor=people["agent"],
        started_at=datetime(2024, 6, 15, 22, 0, tzinfo=SEOUL),
        ended_at=datetime(2024, 6, 15, 22, 40, tzinfo=SEOUL),
        driver_id="drv-9001",
        driver_name="김기사",
        driver_phone=DRIVER_PHONE,
        fare=25000,
    )
    result = services.fine_intake(
        facts=fine_facts("931001"),
        actor=people["agent"],
        notice_image=_image(),
        customer_phone=CUSTOMER_PHONE,
        driver_phone=DRIVER_PHONE,
        at=AT,
    )
    assert result.payout is not None, result.message
    return result


@pytest.fixture
def cancelled(fine, people):
    services.payout_cancel(
        payout=fine.payout, actor=people["team_lead"], reason="고객 계좌 변경 요청", at=AT
    )
    return fine


def _post_payout_form(client, notice, **data):
    url = reverse("admin:fines_finenotice_payout", args=[notice.pk])
    return client.post(url, data)


def _new_payout(fine) -> FinePayout:
    return FinePayout.objects.exclude(pk=fine.payout.pk).get(notice=fine.notice)


def test_agent_posting_any_amount_and_account_after_a_cancel_is_not_scheduled(
    cancelled, people, client_for
):
    """The probe, as it was run: the posted amount is ignored and nothing reaches the batch."""
    response = _post_payout_form(
        client_for(people["agent"]),
        cancelled.notice,
        amount="2147483647",
        bank="088",
        account_number=OTHER_ACCOUNT,
        holder="김철수",
        charge_driver="on",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    payout = _new_payout(cancelled)
    assert payout.amount == cancelled.notice.amount == 40000
    assert payout.status == PayoutStatus.PENDING_APPROVAL
    assert payout.scheduled_at is None
    assert payout.approved_by is None
    report = services.payout_batch_run(at=BATCH)
    payout.refresh_from_db()
    assert payout.pk not in report.paid and payout.status == PayoutStatus.PENDING_APPROVAL
    assert not BankTransfer.objects.filter(payout=payout).exists()


def test_the_payout_form_has_no_amount_to_type(cancelled, people, client_for):
    url = reverse("admin:fines_finenotice_payout", args=[cancelled.notice.pk])
    html = client_for(people["agent"]).get(url).content.decode()
    assert "40,000" in html  # the derived amount is shown
    assert 'name="amount"' not in html or "disabled" in html.split('name="amount"')[1][:200]


def test_the_service_takes_no_amount(cancelled, people):
    with pytest.raises(TypeError):
        services.payout_create(notice=cancelled.notice, actor=people["agent"], amount=2147483647)


def test_four_eyes_creator_and_agents_cannot_approve_a_lead_can(cancelled, people):
    lead, manager = people["team_lead"], people["manager"]
    payout = services.payout_create(
        notice=cancelled.notice,
        actor=lead,
        bank="088",
        account_number=OTHER_ACCOUNT,
        holder="홍길동",
        at=AT,
    )
    assert payout.status == PayoutStatus.PENDING_APPROVAL
    assert "계좌" in payout.approval_reason
    for user in (lead, people["agent"], people["agent_b"], people["auditor"]):
        with pytest.raises(ActionNotAllowed):
            services.payout_approve(payout=payout, actor=user, at=AT)
        assert not user_can(user, "fines.finepayout.approve", payout)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING_APPROVAL
    approved = services.payout_approve(payout=payout, actor=manager, at=AT)
    assert approved.status == PayoutStatus.SCHEDULED
    assert approved.approved_by == manager and approved.scheduled_at is not None
    # Both steps are in the history, each with its person.
    versions = list(approved.history.order_by("history_id"))
    assert [(v.status, v.history_user) for v in versions] == [
        (PayoutStatus.PENDING_APPROVAL, lead),
        (PayoutStatus.SCHEDULED, manager),
    ]
    report = services.payout_batch_run(at=BATCH)
    assert report.paid == [approved.pk]
    approved.refresh_from_db()
    assert approved.status == PayoutStatus.PAID and approved.amount == 40000
    assert BankTransfer.objects.get(payout=approved).amount == 40000


def test_a_deputy_lead_approves_and_a_second_manager_too(cancelled, people, make_user):
    payout = services.payout_create(notice=cancelled.notice, actor=people["manager"], at=AT)
    assert payout.status == PayoutStatus.PENDING_APPROVAL
    with pytest.raises(ActionNotAllowed):
        services.payout_approve(payout=payout, actor=people["manager"], at=AT)
    other_manager = make_user("manager", username="sec_manager_2")
    assert services.payout_approve(payout=payout, actor=other_manager, at=AT).status == (
        PayoutStatus.SCHEDULED
    )


def test_reject_frees_the_fine_and_is_in_the_history(cancelled, people):
    payout = services.payout_create(notice=cancelled.notice, actor=people["agent"], at=AT)
    with pytest.raises(ActionNotAllowed):
        services.payout_reject(payout=payout, actor=people["agent_b"], reason="계좌 불일치")
    rejected = services.payout_reject(
        payout=payout, actor=people["deputy_lead"], reason="예금주 불일치", at=AT
    )
    assert (
        rejected.status == PayoutStatus.REJECTED and rejected.rejected_by == people["deputy_lead"]
    )
    assert rejected.history.first().history_user == people["deputy_lead"]
    with pytest.raises(FineError):
        services.payout_approve(payout=rejected, actor=people["manager"], at=AT)
    again = services.payout_create(notice=cancelled.notice, actor=people["agent"], at=AT)
    assert again.status == PayoutStatus.PENDING_APPROVAL


def test_the_batch_skips_unapproved_payouts(cancelled, people):
    payout = services.payout_create(notice=cancelled.notice, actor=people["agent"], at=AT)
    report = services.payout_batch_run(at=BATCH)
    assert payout.pk not in report.paid + report.failed
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING_APPROVAL
    # Even a row forced into "scheduled" without an approval is refused by the database.
    with pytest.raises(IntegrityError), transaction.atomic():
        FinePayout.objects.filter(pk=payout.pk).update(
            status=PayoutStatus.SCHEDULED, scheduled_at=BATCH
        )


def test_the_creator_cannot_be_the_approver_in_the_database(cancelled, people):
    payout = services.payout_create(notice=cancelled.notice, actor=people["agent"], at=AT)
    with pytest.raises(IntegrityError), transaction.atomic():
        FinePayout.objects.filter(pk=payout.pk).update(approved_by=people["agent"])


DEPOSIT_SMS = "대리_챗봇게시판_과태료_입금예정"
DONE_GENERAL_SMS = "대리_챗봇게시판_과태료_처리완료_일반위탁콜"


def _lead_switches(template_code: str, *, on: bool, lead) -> None:
    """A lead's "사용 (팀장 설정)" switch, through the templates service (history: the lead)."""
    from templates_app.models import SmsTemplate
    from templates_app.services import template_update

    template = SmsTemplate.objects.get(code=template_code)
    template_update(
        template=template,
        actor=lead,
        audience=template.audience,
        service=template.service,
        description=template.description,
        source=template.source,
        enabled=on,
    )


@pytest.mark.parametrize("done_sms_on", [False, True], ids=["seed_default", "lead_turned_on"])
def test_the_customer_sms_states_the_amount_actually_paid(done_sms_on, people):
    """Seed 004 ① 6.-7.: "신규 지급 건 생성 → ... [금액, 계좌번호, 예금주] 정확하게 입력 ...
    7. [고객] 입금 예정 SMS 전송": the customer's SMS of a general fine is the 입금 예정 SMS, and
    it states the amount the bank actually transferred. The 일반/위탁콜 processes prescribe no
    처리완료 SMS: by default none is sent; when a lead has turned that template on, it too
    states the paid amount and leaves once, however often the batch runs."""
    from templates_app.models import OutboundMessage

    _lead_switches(DONE_GENERAL_SMS, on=done_sms_on, lead=people["team_lead"])
    services.ride_upsert(
        call_id="931001",
        actor=people["agent"],
        started_at=datetime(2024, 6, 15, 22, 0, tzinfo=SEOUL),
        ended_at=datetime(2024, 6, 15, 22, 40, tzinfo=SEOUL),
        driver_id="drv-9001",
        driver_name="김기사",
        driver_phone=DRIVER_PHONE,
        fare=25000,
    )
    fine = services.fine_intake(
        facts=fine_facts("931001"),
        actor=people["agent"],
        notice_image=_image(),
        customer_phone=CUSTOMER_PHONE,
        driver_phone=DRIVER_PHONE,
        at=AT,
    )
    services.payout_cancel(
        payout=fine.payout, actor=people["team_lead"], reason="고객 계좌 변경 요청", at=AT
    )
    payout = services.payout_create(notice=fine.notice, actor=people["agent"], at=AT)
    services.payout_approve(payout=payout, actor=people["team_lead"], at=AT)
    services.payout_batch_run(at=BATCH)
    services.payout_batch_run(at=BATCH)  # a second run pays and sends nothing more
    transfer = BankTransfer.objects.get(payout=payout)
    assert transfer.state == BankTransfer.State.SUCCEEDED
    paid = f"{transfer.amount:,}원"
    of_case = OutboundMessage.objects.filter(object_id=fine.case.pk)

    deposits = of_case.filter(template__name=DEPOSIT_SMS).exclude(status="cancelled")
    assert deposits.exists()
    for deposit in deposits:
        assert paid in deposit.body and "2,147,483,647" not in deposit.body

    done = of_case.filter(template__name__startswith="대리_챗봇게시판_과태료_처리완료")
    if not done_sms_on:
        assert not done.exists()
        return
    sent = done.exclude(status__in=["planned", "cancelled"])
    assert sent.count() == 1, list(done.values_list("template__name", "status"))
    message = sent.get()
    assert message.template.name == DONE_GENERAL_SMS
    assert paid in message.body and "2,147,483,647" not in message.body


def test_the_decision_payout_with_the_notices_own_values_needs_no_approval(fine):
    assert fine.payout.status == PayoutStatus.SCHEDULED
    assert fine.payout.approval_reason == ""


def test_cash_split_amount_is_the_dispute_figure_and_the_driver_half(people):
    """Seed 004: no footage -> the customer is paid, the driver carries 50%, the company 50%."""
    from templates_app.models import OutboundMessage

    result = services.fine_intake(
        facts=fine_facts(
            "931002",
            violation_kind="parking_enforcement",
            violation_at="2024-06-15T23:10:00+09:00",
            amount=40001,
        ),
        actor=people["agent"],
        notice_image=_image(),
        customer_phone=CUSTOMER_PHONE,
        driver_phone=DRIVER_PHONE,
        at=AT,
    )
    manager = people["manager"]
    dispute = services.dispute_open(
        notice=result.notice, actor=manager, driver_claim="주차한 적 없음", at=AT
    )
    services.dispute_request_dashcam(dispute=dispute, actor=manager, at=AT)
    services.dispute_resolve(dispute=dispute, actor=manager, resolution="cash_split", at=AT)
    amount = services.payout_amount_for(result.notice)
    assert (amount.customer, amount.driver) == (40001, 20000)
    payout = services.payout_create(notice=result.notice, actor=manager, at=AT)
    assert payout.amount == 40001 and payout.status == PayoutStatus.PENDING_APPROVAL
    services.payout_approve(payout=payout, actor=people["team_lead"], at=AT)
    points = OutboundMessage.objects.get(
        object_id=result.case.pk, template__name="대리기사_챗봇게시판_과태료_포인트차감예정"
    )
    assert "20,000원" in points.body and "40,001원" not in points.body
