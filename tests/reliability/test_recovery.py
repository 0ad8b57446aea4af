"""The pieces that make a crash harmless, one by one (no broker needed; the chaos test runs them
together with a real worker killed mid-way):

- an idempotent provider (``kmcs_site.journal``, IdempotentFileGateway, FileTransferGateway)
  executes one request per key, across processes, and answers repeats with the first result;
- a message stuck in "sending" is asked again only from such a provider, and ends SENT once;
- a bank transfer left "pending" is settled from the bank's answer for its key, never paid twice.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from fines import services as fines
from fines.gateways import FileTransferGateway
from fines.models import BankTransfer, FinePayout, PayoutBatch, PayoutStatus
from kmcs_site.journal import KeyedJournal
from templates_app import services as sms
from templates_app.gateways import IdempotentFileGateway, SmsRequest
from templates_app.models import OutboundMessage

S = OutboundMessage.Status


# --- the journal, across processes ----------------------------------------------------------


_HAMMER = """
import sys
from kmcs_site.journal import KeyedJournal

journal = KeyedJournal(sys.argv[1])
for key in sys.argv[2:]:
    journal.record(key, lambda: {"by": "child"})
"""


def test_journal_keeps_one_entry_per_key_across_processes(tmp_path):
    """Separate interpreters (not fork: forking a threaded pytest can copy a held lock into the
    child and hang it), started together and asking for overlapping keys."""
    path = str(tmp_path / "journal.log")
    keys = [f"k{i}" for i in range(60)]
    # Four processes ask for overlapping keys at the same time (each key 2-4 times).
    chunks = [keys[0:40], keys[20:60], keys[10:50], keys[::-1]]
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen([sys.executable, "-c", _HAMMER, path, *chunk], cwd=root)
        for chunk in chunks
    ]
    try:
        codes = [proc.wait(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert codes == [0, 0, 0, 0]
    journal = KeyedJournal(path)
    written = [entry["idempotency_key"] for entry in journal.entries()]
    assert sorted(written) == sorted(keys)  # each key once, none lost
    asked = sum(len(chunk) for chunk in chunks)
    assert len(journal.duplicates()) == asked - len(keys)


def test_a_repeat_gets_the_first_answer(tmp_path):
    gateway = IdempotentFileGateway(tmp_path / "outbox.log")
    request = SmsRequest(
        recipient="01000005678", body="본문", idempotency_key="m-1", length_class="SMS"
    )
    first = gateway.send(request)
    again = IdempotentFileGateway(tmp_path / "outbox.log").send(request)  # another "process"
    assert again.provider_message_id == first.provider_message_id
    lines = gateway.read()
    assert [line["idempotency_key"] for line in lines] == ["m-1"]
    assert lines[0]["to"] == "010-****-5678"
    assert len(KeyedJournal(tmp_path / "outbox.log").duplicates()) == 1


def test_the_bank_executes_one_transfer_per_key_and_answers_inquiries(tmp_path):
    bank = FileTransferGateway(tmp_path / "bank.log")
    assert bank.status("t-1") is None
    first = bank.transfer(
        idempotency_key="t-1", bank="088", account_number="110987654321", holder="홍", amount=5
    )
    again = bank.transfer(
        idempotency_key="t-1", bank="088", account_number="110987654321", holder="홍", amount=5
    )
    assert first == again == bank.status("t-1")
    entries = bank.journal.entries()
    assert len(entries) == 1 and entries[0]["account_last4"] == "4321"
    assert "110987654321" not in (tmp_path / "bank.log").read_text()


# --- a message stuck in "sending" ----------------------------------------------------------------


@pytest.fixture
def outbox(settings, tmp_path):
    settings.KMCS_SMS_GATEWAY = "templates_app.gateways.IdempotentFileGateway"
    settings.KMCS_SMS_OUTBOX_PATH = str(tmp_path / "outbox.log")
    settings.KMCS_SMS_STUCK_AFTER_SECONDS = 60
    return IdempotentFileGateway(tmp_path / "outbox.log")


def _queue(key: str) -> OutboundMessage:
    return sms.message_queue(
        template_name="대리기사_챗봇게시판_기사미운행건결제취소(승인)",
        recipient="010-0000-1234",
        context={"received_on": date(2024, 6, 17), "amount": 15000},
        idempotency_key=key,
        actor=None,
    )


def _die_mid_send(message: OutboundMessage, *, request_arrived: bool, gateway) -> None:
    """What a worker killed between the claim and the result leaves behind."""
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=S.SENDING, attempts=1, last_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    if request_arrived:
        message.refresh_from_db()
        gateway.send(
            SmsRequest(
                recipient=message.recipient,
                body=message.body,
                idempotency_key=message.idempotency_key,
                length_class=message.length_class,
                message_id=message.pk,
            )
        )


@pytest.mark.django_db
@pytest.mark.parametrize("request_arrived", [True, False])
def test_a_stuck_message_ends_sent_exactly_once(
    outbox, request_arrived, settings, django_capture_on_commit_callbacks
):
    settings.KMCS_SMS_GATEWAY = "tests.reliability.test_recovery.NoSend"  # nothing at queue time
    message = _queue(f"stuck-{request_arrived}")
    settings.KMCS_SMS_GATEWAY = "templates_app.gateways.IdempotentFileGateway"
    _die_mid_send(message, request_arrived=request_arrived, gateway=outbox)
    with django_capture_on_commit_callbacks(execute=True) as handed:
        assert sms.message_requeue_stale() == 1
    assert len(handed) == 1  # reclaimed, then handed to the (eager) task on commit
    message.refresh_from_db()
    assert message.status == S.SENT and message.attempts == 2
    lines = [line for line in outbox.read() if line["idempotency_key"] == message.idempotency_key]
    assert len(lines) == 1  # delivered once, whichever attempt carried it
    assert message.provider_message_id == lines[0]["provider_message_id"]
    history = message.history.order_by("history_id").values_list("history_change_reason", flat=True)
    assert "발송 중 멈춤: 멱등 발송사에 재요청" in list(history)
    assert sms.message_requeue_stale() == 0


class NoSend:
    """A gateway that is never reached (the message is put in "sending" by hand)."""

    idempotent = False

    def send(self, request):  # pragma: no cover - the task runs before the test's own gateway
        raise AssertionError("not expected")


@pytest.mark.django_db
def test_without_an_idempotent_provider_a_stuck_message_waits_for_a_person(outbox, settings):
    settings.KMCS_SMS_GATEWAY = "tests.reliability.test_recovery.NoSend"
    message = _queue("stuck-plain")
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=S.SENDING, attempts=1, last_attempt_at=timezone.now() - timedelta(hours=1)
    )
    assert sms.message_requeue_stale() == 0
    message.refresh_from_db()
    assert message.status == S.SENDING


@pytest.mark.django_db
def test_a_message_still_being_sent_is_not_reclaimed(outbox):
    message = _queue("fresh")
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=S.SENDING, last_attempt_at=timezone.now()
    )
    assert sms.message_requeue_stale() == 0


# --- a bank transfer left "pending" ----------------------------------------------------------------


@pytest.fixture
def bank(settings, tmp_path):
    settings.KMCS_BANK_TRANSFER_GATEWAY = "fines.gateways.FileTransferGateway"
    settings.KMCS_BANK_TRANSFER_LOG_PATH = str(tmp_path / "bank.log")
    return FileTransferGateway(tmp_path / "bank.log")


def _pending_payout(world, *, arrived: bool, bank) -> FinePayout:
    """A payout whose transfer row was committed and whose process died at the bank."""
    payout = world.payout
    assert payout.status == PayoutStatus.SCHEDULED
    batch, _ = PayoutBatch.objects.get_or_create(run_for=payout.scheduled_at)
    BankTransfer.objects.create(
        payout=payout,
        batch=batch,
        idempotency_key=payout.idempotency_key,
        amount=payout.amount,
        requested_at=timezone.now() - timedelta(hours=1),
    )
    if arrived:
        bank.transfer(
            idempotency_key=payout.idempotency_key,
            bank=payout.bank,
            account_number=payout.account.reveal(),
            holder=payout.holder,
            amount=payout.amount,
        )
    return payout


DEPOSIT_SMS = "대리_챗봇게시판_과태료_입금예정"
DONE_SMS = "대리_챗봇게시판_과태료_처리완료"  # prefix of both 처리완료 templates


@pytest.mark.django_db
@pytest.mark.parametrize(
    "done_switch", [False, True], ids=["seed_default", "done_sms_on"], indirect=True
)
@pytest.mark.parametrize("arrived", [True, False])
def test_a_pending_transfer_is_settled_once_from_the_banks_answer(
    arrived, done_switch, bank, payout_world, django_capture_on_commit_callbacks
):
    """Seed 004 ① 7.: the customer's SMS of a general fine is "[고객] 입금 예정 SMS", sent when
    the payout is created and stating its amount. A transfer settled from the bank's answer
    pays once and sends nothing the seed does not prescribe; with the general 처리완료 template
    switched on by a lead (off by default, issue 15 B 004) that SMS leaves exactly once."""
    from templates_app.models import OutboundMessage as Message

    payout = _pending_payout(payout_world, arrived=arrived, bank=bank)
    case = payout.notice.case
    deposit = Message.objects.get(object_id=case.pk, template__name=DEPOSIT_SMS)
    assert f"{payout.amount:,}원" in deposit.body
    done = Message.objects.filter(object_id=case.pk, template__name__startswith=DONE_SMS)
    assert not done.exclude(status="planned").exists()  # nothing says "paid" before the bank
    if not arrived:
        # Issue 16: the reconciliation never sends. The bank has no such transfer: the payout
        # is scheduled again and the next batch (here: the one that reconciles) sends the key.
        assert fines.payout_transfers_reconcile() == []
        payout.refresh_from_db()
        assert payout.status == PayoutStatus.SCHEDULED and bank.journal.entries() == []
        transfer = BankTransfer.objects.get(payout=payout)
        assert transfer.state == BankTransfer.State.NOT_FOUND
        with django_capture_on_commit_callbacks(execute=True):
            assert fines.payout_batch_run().paid == [payout.pk]
    else:
        with django_capture_on_commit_callbacks(execute=True):
            assert fines.payout_transfers_reconcile() == [payout.pk]
    payout.refresh_from_db()
    transfer = BankTransfer.objects.get(payout=payout)
    assert payout.status == PayoutStatus.PAID
    assert transfer.state == BankTransfer.State.SUCCEEDED
    entries = [e for e in bank.journal.entries() if e["idempotency_key"] == payout.idempotency_key]
    assert len(entries) == 1 and transfer.bank_reference == entries[0]["reference"]
    # Again, and through a whole batch run: nothing more moves.
    assert fines.payout_transfers_reconcile() == []
    report = fines.payout_batch_run()
    assert report.reconciled == [] and payout.pk not in report.paid
    assert len(bank.journal.entries()) == 1
    assert Message.objects.filter(object_id=case.pk, template__name=DEPOSIT_SMS).count() == 1
    sent = done.exclude(status="planned")
    if not done_switch:
        assert not done.exists()
    else:
        assert sent.count() == 1
        assert f"{transfer.amount:,}원" in sent.get().body


@pytest.fixture
def done_switch(request, make_user):
    """The general/consigned 처리완료 SMS as a lead left it before the fine was decided (the
    decision plans it only when on). Default: the seed's (off)."""
    from templates_app.models import SmsTemplate
    from templates_app.services import template_update

    on = bool(getattr(request, "param", False))
    template = SmsTemplate.objects.get(code="대리_챗봇게시판_과태료_처리완료_일반위탁콜")
    if on:
        template_update(
            template=template,
            actor=make_user("team_lead", username="rel_switch_lead"),
            audience=template.audience,
            service=template.service,
            description=template.description,
            source=template.source,
            enabled=True,
        )
    return on


@pytest.mark.django_db
def test_a_transfer_younger_than_the_threshold_is_left_alone(bank, payout_world, settings):
    payout = _pending_payout(payout_world, arrived=False, bank=bank)
    BankTransfer.objects.filter(payout=payout).update(requested_at=timezone.now())
    assert fines.payout_transfers_reconcile() == []
    assert BankTransfer.objects.get(payout=payout).state == BankTransfer.State.PENDING


@pytest.fixture
def payout_world(done_switch, make_user, settings, tmp_path):
    """One scheduled general fine payout (the security tests' world is bigger than needed)."""
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from cases.services import staff_profile_set_services
    from tests.security.conftest import fine_facts, png_bytes

    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.files.uploadedfile import SimpleUploadedFile

    agent = make_user("agent", username="rel_agent")
    lead = make_user("team_lead", username="rel_lead")
    staff_profile_set_services(user=agent, services=["driver"], actor=lead)
    at = datetime(2024, 6, 17, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    result = fines.fine_intake(
        facts=fine_facts("940001"),
        actor=agent,
        notice_image=SimpleUploadedFile("n.png", png_bytes(), content_type="image/png"),
        customer_phone="010-0000-1234",
        driver_phone="010-0000-5678",
        at=at,
    )
    return SimpleNamespace(payout=result.payout)


# --- one bad payout does not stop the batch --------------------------------------------------


@pytest.fixture
def three_payouts(make_user, settings, tmp_path):
    """Three scheduled general fine payouts, due in the same batch."""
    from zoneinfo import ZoneInfo

    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.services import staff_profile_set_services
    from tests.security.conftest import fine_facts, png_bytes

    settings.MEDIA_ROOT = tmp_path / "media"
    agent = make_user("agent", username="rel_agent3")
    lead = make_user("team_lead", username="rel_lead3")
    staff_profile_set_services(user=agent, services=["driver"], actor=lead)
    at = datetime(2024, 6, 17, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    payouts = []
    for call_id in ("940101", "940102", "940103"):
        result = fines.fine_intake(
            facts=fine_facts(call_id),
            actor=agent,
            notice_image=SimpleUploadedFile("n.png", png_bytes(), content_type="image/png"),
            customer_phone="010-0000-1234",
            driver_phone="010-0000-5678",
            at=at,
        )
        payouts.append(result.payout)
    return payouts


@pytest.mark.django_db
def test_a_payout_that_cannot_be_recorded_does_not_stop_the_batch(
    bank, three_payouts, monkeypatch, django_capture_on_commit_callbacks
):
    """The chaos run's finding: the first payout of a batch could not be recorded (its notice
    image was missing from the worker's storage), and every later payout waited. Now the bad
    one is skipped with its transfer left pending, the others are paid, and the pending one is
    settled exactly once by the bank's answer when its record can be written."""
    from fines.services import batch as batch_module

    first, second, third = three_payouts
    real_on_paid = batch_module._on_paid

    def on_paid_fails_for_the_first(payout, at, **kwargs):
        if payout.pk == first.pk:
            raise OSError("notice image missing from media storage")
        return real_on_paid(payout, at, **kwargs)

    monkeypatch.setattr(batch_module, "_on_paid", on_paid_fails_for_the_first)
    with django_capture_on_commit_callbacks(execute=True):
        report = fines.payout_batch_run()
    assert report.skipped == [first.pk]
    assert sorted(report.paid) == sorted([second.pk, third.pk])
    first.refresh_from_db()
    assert first.status == PayoutStatus.SCHEDULED  # its record rolled back...
    transfer = BankTransfer.objects.get(payout=first)
    assert transfer.state == BankTransfer.State.PENDING  # ...the bank was asked, left pending
    assert len(bank.journal.entries()) == 3

    # The cause fixed: the next batch settles it from the bank's answer, paying nothing again.
    monkeypatch.setattr(batch_module, "_on_paid", real_on_paid)
    BankTransfer.objects.filter(pk=transfer.pk).update(
        requested_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = fines.payout_batch_run()
    assert report.reconciled == [first.pk] and report.paid == []
    first.refresh_from_db()
    assert first.status == PayoutStatus.PAID
    assert len(bank.journal.entries()) == 3
    assert FinePayout.objects.filter(status=PayoutStatus.PAID).count() == 3
