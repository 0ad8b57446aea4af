# ruff: noqa: F811 (pytest fixtures imported from other modules are used as arguments)
"""A lead settles a payout in 확인 필요 by hand (issue 16 item 4), against the sandbox bank on
127.0.0.1: the bank's 이체결과조회 cannot answer, the lead asks the bank and records the answer
through the admin action. Audited with the lead's name, never a second transfer (neither the
action, nor the reconciliation job, nor the next batch sends the payout again)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.urls import reverse

from cases.exceptions import ActionNotAllowed
from fines import services
from fines.models import BankTransfer, PayoutStatus
from fines.services.settlement import payout_settle_manually
from templates_app.models import OutboundMessage
from tests.fines.conftest import SEOUL, _media, intake, ride, staff  # noqa: F401
from tests.integrations.bank_fixtures import bank, behave, executed, sandbox  # noqa: F401

pytestmark = pytest.mark.django_db
DONE = "대리_챗봇게시판_과태료_처리완료"
BATCH = datetime(2024, 6, 17, 14, 0, tzinfo=SEOUL)


@pytest.fixture(autouse=True)
def _done_sms_switched_on():
    from templates_app.models import SmsTemplate

    SmsTemplate.objects.filter(name__startswith=DONE).update(enabled=True)


def _done_sms(payout) -> int:
    return (
        OutboundMessage.objects.filter(template__name__startswith=DONE, case=payout.notice.case)
        .exclude(status="planned")
        .count()
    )


def stuck_payout(bank, intake, *, sent: bool):
    """A payout in 확인 필요 whose result the bank's inquiry cannot give (503 on every ask)."""
    payout = intake().payout
    if sent:
        behave(bank, uncertain_next=1, uncertain_mode="500", result_fail_next=50)
    else:
        behave(bank, fail_next=1, status=503, result_fail_next=50)
    assert services.payout_batch_run(at=BATCH).uncertain == [payout.pk]
    assert services.payout_transfers_reconcile(older_than=0) == []
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.NEEDS_RECONCILIATION
    return payout


def settle_in_admin(client, user, payout, **data):
    client.force_login(user)
    return client.post(
        reverse("admin:fines_finepayout_changelist"),
        {"action": "settle_selected", "_selected_action": [payout.pk], **data},
    )


def test_a_lead_records_paid_once_and_nothing_is_ever_sent_again(
    bank, intake, staff, client, django_capture_on_commit_callbacks
):
    payout = stuck_payout(bank, intake, sent=True)
    assert len(executed(bank)) == 1
    # The action first asks what the bank said (an intermediate page).
    page = settle_in_admin(client, staff.lead, payout)
    assert page.status_code == 200 and "은행 확인 결과" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        settle_in_admin(
            client,
            staff.lead,
            payout,
            outcome="paid",
            bank_reference="KB20240617000123",
            note="국민은행 기업뱅킹 담당자 확인 (15:10)",
        )
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.paid_at is not None
    transfer = BankTransfer.objects.get(payout=payout)
    assert transfer.state == BankTransfer.State.SUCCEEDED
    assert transfer.bank_reference == "KB20240617000123"
    newest = payout.history.order_by("-history_id").first()
    assert newest.history_user_id == staff.lead.pk and "수동 확인: 지급 완료" in (
        newest.history_change_reason
    )
    assert transfer.history.order_by("-history_id").first().history_user_id == staff.lead.pk
    assert _done_sms(payout) == 1
    # Nothing moves again: not the job, not the batch, not a second settle.
    assert services.payout_transfers_reconcile(older_than=0) == []
    assert services.payout_batch_run(at=BATCH).paid == []
    answer = settle_in_admin(
        client, staff.deputy, payout, outcome="not_paid", note="다시", bank_reference=""
    )
    assert answer.status_code == 302
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert len(executed(bank)) == 1 and _done_sms(payout) == 1


def test_not_paid_is_recorded_as_failed_and_never_retransferred(bank, intake, staff):
    payout = stuck_payout(bank, intake, sent=False)
    assert executed(bank) == []
    settled = payout_settle_manually(
        payout=payout, actor=staff.deputy, outcome="not_paid", note="신한은행 확인: 이체 없음"
    )
    assert settled.status == PayoutStatus.FAILED
    assert "미이체" in settled.failure_reason
    assert BankTransfer.objects.get(payout=payout).state == BankTransfer.State.FAILED
    assert services.payout_batch_run(at=BATCH).paid == []
    assert services.payout_transfers_reconcile(older_than=0) == []
    assert executed(bank) == [] and _done_sms(payout) == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"outcome": "paid", "note": "확인", "bank_reference": ""}, "거래고유번호"),
        ({"outcome": "paid", "note": " ", "bank_reference": "X1"}, "메모"),
        ({"outcome": "refund", "note": "확인"}, "확인 결과"),
    ],
)
def test_bad_input_is_a_korean_error_and_changes_nothing(bank, intake, staff, kwargs, message):
    from fines.services._common import FineError

    payout = stuck_payout(bank, intake, sent=True)
    with pytest.raises(FineError, match=message):
        payout_settle_manually(payout=payout, actor=staff.lead, **kwargs)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.NEEDS_RECONCILIATION
    assert BankTransfer.objects.get(payout=payout).state == BankTransfer.State.PENDING


def test_only_leads_settle_and_only_payouts_in_needs_reconciliation(bank, intake, staff):
    from fines.services._common import FineError

    payout = stuck_payout(bank, intake, sent=True)
    for user in (staff.agent, staff.manager):
        with pytest.raises(ActionNotAllowed):
            payout_settle_manually(payout=payout, actor=user, outcome="not_paid", note="x")
    paid = payout_settle_manually(
        payout=payout, actor=staff.lead, outcome="paid", note="확인", bank_reference="R1"
    )
    with pytest.raises(FineError, match="확인 필요 건만"):
        payout_settle_manually(payout=paid, actor=staff.lead, outcome="not_paid", note="x")


def test_the_leads_are_told_in_the_app_once_per_transfer(bank, intake, staff, client):
    """'지급 확인 필요' (issue 14.5): the leads who settle it, not the manager or the agents;
    the reconciliation asking again tells nobody twice; the link opens the payout."""
    from notifications.models import Kind, Notification

    payout = stuck_payout(bank, intake, sent=True)
    told = Notification.objects.filter(kind=Kind.PAYOUT_CHECK)
    assert {n.recipient_id for n in told} == {staff.lead.pk, staff.deputy.pk}
    assert services.payout_transfers_reconcile(older_than=0) == []
    assert told.count() == 2
    row = told.get(recipient=staff.lead)
    assert f"#{payout.pk}" in row.title and "수동 확인" in row.body
    client.force_login(staff.lead)
    assert client.get(row.path).status_code == 200
