# ruff: noqa: F811 (pytest fixtures imported from other modules are used as arguments)
"""Payouts through the sandbox bank: the 14:00 batch, 확인 필요 for an uncertain transfer, the
reconciliation job (이체결과조회 first, never a blind resend), definite failures with the bank's
code, four-eyes, and the leads' daily reconciliation report (paid vs the bank's statement)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from fines import services
from fines.models import BankTransfer, FinePayout, PayoutStatus
from fines.tasks import payout_reconcile
from templates_app.models import OutboundMessage
from tests.fines.conftest import SEOUL, _media, intake, ride, staff  # noqa: F401
from tests.integrations.bank_fixtures import bank, behave, executed, sandbox  # noqa: F401

pytestmark = pytest.mark.django_db
DONE = "대리_챗봇게시판_과태료_처리완료"
BATCH = datetime(2024, 6, 17, 14, 0, tzinfo=SEOUL)


@pytest.fixture(autouse=True)
def _done_sms_switched_on():
    """The general/consigned 처리완료 SMS is off unless a lead turns it on (issue 15 B 004); these
    tests count it to prove the SMS follows the bank's answer exactly once, so it is on here."""
    from templates_app.models import SmsTemplate

    SmsTemplate.objects.filter(name__startswith=DONE).update(enabled=True)


def _done_sms(payout) -> int:
    return (
        OutboundMessage.objects.filter(template__name__startswith=DONE, case=payout.notice.case)
        .exclude(status="planned")
        .count()
    )  # drafted at the decision, counted once it goes out


def _status(payout) -> str:
    payout.refresh_from_db()
    return payout.status


def test_happy_path_the_batch_pays_through_the_bank(bank, intake):
    payout = intake().payout  # the account check asked the bank (계좌실명조회)
    assert payout.status == PayoutStatus.SCHEDULED and payout.verified_by == "openbanking"
    report = services.payout_batch_run(at=BATCH)
    assert report.paid == [payout.pk]
    assert [m["bank_tran_id"] for m in executed(bank)] == [f"M202600001U{payout.pk:09d}"]
    assert _status(payout) == PayoutStatus.PAID and _done_sms(payout) == 1


@pytest.mark.parametrize("mode", ["500", "timeout", "malformed"])
def test_an_uncertain_transfer_is_reconciled_without_a_second_transfer(
    bank, intake, mode, django_capture_on_commit_callbacks
):
    payout = intake().payout
    behave(bank, uncertain_next=1, uncertain_mode=mode, timeout_ms=1500)
    report = services.payout_batch_run(at=BATCH)
    assert report.uncertain == [payout.pk] and report.paid == []
    assert _status(payout) == PayoutStatus.NEEDS_RECONCILIATION
    assert payout.get_status_display() == "확인 필요" and _done_sms(payout) == 0
    assert len(executed(bank)) == 1
    # The reconciliation job asks the bank (이체결과조회) and records what it says.
    with django_capture_on_commit_callbacks(execute=True):
        result = payout_reconcile.apply().get()
    assert result == {"settled": 1, "needs_reconciliation": 0}
    assert _status(payout) == PayoutStatus.PAID and _done_sms(payout) == 1
    transfer = BankTransfer.objects.get(payout=payout)
    assert transfer.state == BankTransfer.State.SUCCEEDED and transfer.inquiry_count == 1
    # Nothing more ever moves: one transfer at the bank.
    assert payout_reconcile.apply().get()["settled"] == 0
    assert services.payout_batch_run(at=BATCH).paid == []
    assert len(executed(bank)) == 1 and _done_sms(payout) == 1


def test_the_next_batch_asks_the_bank_before_anything_else(bank, intake):
    payout = intake().payout
    behave(bank, uncertain_next=1, uncertain_mode="500")
    services.payout_batch_run(at=BATCH)
    report = services.payout_batch_run(at=BATCH)
    assert report.reconciled == [payout.pk] and report.paid == []
    assert _status(payout) == PayoutStatus.PAID and len(executed(bank)) == 1


def test_a_5xx_before_the_bank_acted_goes_back_to_scheduled_and_is_paid_once(bank, intake):
    payout = intake().payout
    behave(bank, fail_next=1, status=503)  # answered 503 without transferring
    assert services.payout_batch_run(at=BATCH).uncertain == [payout.pk]
    assert _status(payout) == PayoutStatus.NEEDS_RECONCILIATION
    assert executed(bank) == []
    # Reconciliation: not found -> scheduled again, nothing sent by the job itself.
    assert services.payout_transfers_reconcile(older_than=0) == []
    assert _status(payout) == PayoutStatus.SCHEDULED and executed(bank) == []
    assert BankTransfer.objects.get(payout=payout).state == BankTransfer.State.NOT_FOUND
    # The next batch sends it, with the same bank_tran_id.
    assert services.payout_batch_run(at=BATCH).paid == [payout.pk]
    assert [m["bank_tran_id"] for m in executed(bank)] == [f"M202600001U{payout.pk:09d}"]
    assert _status(payout) == PayoutStatus.PAID and _done_sms(payout) == 1


def test_still_unknown_stays_and_alerts_the_leads_once(bank, intake, staff):
    payout = intake().payout
    behave(bank, uncertain_next=1, uncertain_mode="500", result_fail_next=2)
    services.payout_batch_run(at=BATCH)
    mail.outbox.clear()
    assert payout_reconcile.apply().get() == {"settled": 0, "needs_reconciliation": 1}
    assert _status(payout) == PayoutStatus.NEEDS_RECONCILIATION
    assert len(mail.outbox) == 1  # the leads (팀장·부팀장), not the agents
    assert sorted(mail.outbox[0].to) == sorted([staff.lead.email, staff.deputy.email])
    assert f"#{payout.pk}" in mail.outbox[0].body and "확인 필요" in mail.outbox[0].subject
    payout_reconcile.apply().get()  # still unknown: no second mail
    assert len(mail.outbox) == 1
    transfer = BankTransfer.objects.get(payout=payout)
    assert transfer.inquiry_count == 2 and "503" in transfer.last_inquiry_error
    # The bank answers again: paid, and only once.
    assert payout_reconcile.apply().get()["settled"] == 1
    assert _status(payout) == PayoutStatus.PAID and len(executed(bank)) == 1


def test_a_definite_refusal_fails_with_the_banks_code(bank, intake):
    payout = intake().payout
    behave(bank, reject_next=1, reject_code="400", reject_message="계좌오류")
    assert services.payout_batch_run(at=BATCH).failed == [payout.pk]
    assert _status(payout) == PayoutStatus.FAILED
    assert payout.failure_reason == "[400] 계좌오류" and _done_sms(payout) == 0
    assert BankTransfer.objects.get(payout=payout).error_code == "400"
    assert executed(bank) == []


def test_the_batch_never_pays_an_unapproved_payout(bank, intake, staff):
    result = intake(violation_kind="eco_parking", at=datetime(2024, 6, 17, 9, 0, tzinfo=SEOUL))
    payout = services.payout_create(
        notice=result.notice, actor=staff.manager, at=datetime(2024, 6, 17, 9, 5, tzinfo=SEOUL)
    )
    assert payout.status == PayoutStatus.PENDING_APPROVAL
    assert services.payout_batch_run(at=BATCH).paid == []
    assert executed(bank) == []
    services.payout_approve(
        payout=payout, actor=staff.lead, at=datetime(2024, 6, 17, 9, 10, tzinfo=SEOUL)
    )
    assert services.payout_batch_run(at=BATCH).paid == [payout.pk]
    assert len(executed(bank)) == 1


# --- the daily reconciliation report ------------------------------------------------------------


def _two_payouts(bank, intake):
    """One paid normally, one the bank moved but we hold as 확인 필요 (a mismatch)."""
    paid = intake().payout
    services.payout_batch_run(at=BATCH)
    second = intake(call_id="700001", violation_at="2024-06-15T22:25:00+09:00").payout
    behave(bank, uncertain_next=1, uncertain_mode="500")
    services.payout_batch_run(at=BATCH)
    assert _status(paid) == PayoutStatus.PAID
    assert _status(second) == PayoutStatus.NEEDS_RECONCILIATION
    return paid, second


def test_the_report_shows_a_mismatch(bank, intake):
    from fines.selectors import payout_reconciliation
    from fines.services.reconciliation import bank_statement_for

    paid, uncertain = _two_payouts(bank, intake)
    today = timezone.now().astimezone(SEOUL).date()
    report = payout_reconciliation(day=today, statement=bank_statement_for(day=today))
    rows = {row.payout_id: row for row in report.rows}
    assert rows[paid.pk].verdict == "일치" and not rows[paid.pk].mismatch
    assert rows[uncertain.pk].mismatch
    assert rows[uncertain.pk].verdict == "은행 이체됨, KMCS 상태 '확인 필요'"
    assert (report.our_total, report.bank_total) == (40000, 80000)
    # After reconciliation the day matches.
    services.payout_transfers_reconcile(older_than=0)
    report = payout_reconciliation(day=today, statement=bank_statement_for(day=today))
    assert report.mismatches == [] and len(report.rows) == 2


def test_the_report_page_for_leads(bank, intake, staff, client, django_assert_max_num_queries):
    paid, uncertain = _two_payouts(bank, intake)
    url = reverse("admin:fines_finepayout_reconciliation")
    client.force_login(staff.agent)
    assert client.get(url).status_code == 403
    client.force_login(staff.lead)
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="mismatch-count">1건' in html
    assert 'class="mismatch errornote"' in html and f"KMCS-P{uncertain.pk}" in html
    assert "은행 이체됨" in html


def test_the_report_says_so_when_the_bank_has_no_statement(staff, client, settings):
    settings.KMCS_BANK_TRANSFER_GATEWAY = "fines.gateways.RecordingTransferGateway"
    client.force_login(staff.manager)
    page = client.get(reverse("admin:fines_finepayout_reconciliation") + "?day=2024-06-17")
    assert page.status_code == 200 and "거래내역조회를 제공하지 않습니다" in page.content.decode()


def test_reconcile_task_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["fines-payout-reconcile"]
    assert entry["task"] == "fines.tasks.payout_reconcile"
    assert FinePayout  # the model the job reads
