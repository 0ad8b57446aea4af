"""The 14:00 batch: pays what is due, once, however often it runs."""

from datetime import datetime

import pytest

from fines import services
from fines.gateways import RecordingTransferGateway, TransferResult
from fines.models import BankTransfer, FinePayout, PayoutBatch, PayoutStatus
from templates_app.models import OutboundMessage
from tests.fines.conftest import SEOUL

pytestmark = pytest.mark.django_db
DONE = "대리_챗봇게시판_과태료_처리완료"


@pytest.fixture(autouse=True)
def _clean_gateway():
    RecordingTransferGateway.calls.clear()
    yield
    RecordingTransferGateway.calls.clear()


def seoul(day, hh, mm=0):
    return datetime(2024, 6, day, hh, mm, tzinfo=SEOUL)


def test_batch_run_twice_pays_once(intake):
    payout = intake(at=seoul(17, 13, 59)).payout
    first = services.payout_batch_run(at=seoul(17, 14, 0))
    second = services.payout_batch_run(
        at=seoul(
            17,
            14,
            0,
        )
    )
    assert first.paid == [payout.pk] and second.paid == []
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.paid_at is not None
    assert BankTransfer.objects.filter(payout=payout).count() == 1
    assert len(RecordingTransferGateway.calls) == 1
    assert RecordingTransferGateway.calls[0]["idempotency_key"] == payout.idempotency_key
    # Seed 004's 일반 과태료 process ends with "7. [고객] 입금 예정 SMS 전송 ... 9. 처리 결과 아지트
    # 히스토리 작성": no 처리완료 SMS (only "10. 처리 완료 시 [고객] 처리완료 SMS 발송" of the
    # special-issue process). A lead may switch one on (tests/fines/test_seed_004_fidelity.py).
    assert not OutboundMessage.objects.filter(template__name=DONE).exists()
    batch = PayoutBatch.objects.get()
    assert (batch.paid_count, batch.paid_amount, batch.runs) == (1, 40000, 2)
    payout.notice.refresh_from_db()
    assert payout.notice.completed_at is not None


def test_payout_created_after_the_cutoff_waits_for_tomorrow(intake):
    payout = intake(at=seoul(17, 14, 1)).payout
    assert payout.scheduled_at == seoul(18, 14)
    assert services.payout_batch_run(at=seoul(17, 14, 2)).paid == []
    assert services.payout_batch_run(at=seoul(18, 14, 0)).paid == [payout.pk]


def test_a_missed_run_is_caught_up_by_the_next(intake):
    payout = intake(at=seoul(17, 9, 0)).payout
    # Nothing ran on the 17th; the 18th's run pays the late one too.
    assert services.payout_batch_run(at=seoul(18, 14, 0)).paid == [payout.pk]


def test_a_run_before_14_performs_yesterdays_batch(intake):
    payout = intake(at=seoul(17, 15, 0)).payout  # due on the 18th
    assert services.payout_batch_run(at=seoul(18, 13, 0)).paid == []
    assert PayoutBatch.objects.get().run_for == seoul(17, 14)
    assert FinePayout.objects.get(pk=payout.pk).status == PayoutStatus.SCHEDULED


def test_a_transfer_already_taken_is_never_sent_again(intake):
    """A crashed run left its transfer pending: the next run must not pay again."""
    payout = intake(at=seoul(17, 9, 0)).payout
    batch = PayoutBatch.objects.create(run_for=seoul(17, 14))
    BankTransfer.objects.create(
        payout=payout,
        batch=batch,
        idempotency_key=payout.idempotency_key,
        amount=payout.amount,
        requested_at=seoul(17, 14),
    )
    report = services.payout_batch_run(at=seoul(17, 14, 5))
    assert report.skipped == [payout.pk] and report.paid == []
    assert RecordingTransferGateway.calls == []


def test_cancelled_payouts_are_not_paid(intake, staff):
    payout = intake(at=seoul(17, 9, 0)).payout
    services.payout_cancel(payout=payout, actor=staff.manager, reason="고객 취소 요청")
    assert services.payout_batch_run(at=seoul(17, 14)).paid == []
    assert RecordingTransferGateway.calls == []


class FailingGateway:
    def transfer(self, **kwargs):
        return TransferResult(ok=False, error="수취인 계좌 오류")


def test_a_failed_transfer_marks_the_payout_failed_and_sends_no_done_sms(intake, settings):
    settings.KMCS_BANK_TRANSFER_GATEWAY = "tests.fines.test_batch.FailingGateway"
    payout = intake(at=seoul(17, 9, 0)).payout
    report = services.payout_batch_run(at=seoul(17, 14))
    assert report.failed == [payout.pk]
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and payout.failure_reason == "수취인 계좌 오류"
    assert not OutboundMessage.objects.filter(template__name=DONE).exists()
    # The next run does not retry a failed transfer.
    assert services.payout_batch_run(at=seoul(18, 14)).failed == []


def test_the_celery_task_runs_the_batch(intake):
    from fines.tasks import payout_batch_run

    payout = intake(at=seoul(17, 9, 0)).payout
    FinePayout.objects.filter(pk=payout.pk).update(scheduled_at=seoul(1, 14))
    result = payout_batch_run.apply().get()
    assert result["paid"] == 1
    assert payout_batch_run.apply().get()["paid"] == 0


def test_batch_first_retries_unchecked_accounts(intake, staff, settings):
    settings.KMCS_ACCOUNT_VERIFIER = "fines.verifiers.HttpBankVerifier"
    settings.KMCS_BANK_VERIFY_URL = "http://127.0.0.1:9/verify"
    settings.KMCS_BANK_API_TIMEOUT = 1
    result = intake(violation_kind="eco_parking", at=seoul(17, 9, 0))
    payout = services.payout_create(notice=result.notice, actor=staff.manager, at=seoul(17, 9, 5))
    payout = services.payout_approve(payout=payout, actor=staff.lead, at=seoul(17, 9, 10))
    assert payout.status == PayoutStatus.CREATED
    settings.KMCS_ACCOUNT_VERIFIER = "fines.verifiers.FormatChecksumVerifier"
    report = services.payout_batch_run(at=seoul(17, 14))
    # Verified at the run (14:00, not before the cutoff): paid in tomorrow's batch.
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.SCHEDULED and payout.scheduled_at == seoul(18, 14)
    assert report.paid == []
