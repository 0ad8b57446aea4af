"""Real concurrency on PostgreSQL: two agents take in the same fine at the same moment, and two
batch runs race over the same payouts. Threads with their own connections; the database's
constraints and row locks decide, not a check in Python."""

import threading
from datetime import datetime

import pytest
from django.db import connection

from fines.gateways import RecordingTransferGateway
from fines.models import BankTransfer, FineNotice, FinePayout, PayoutStatus
from tests.fines.conftest import SEOUL

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def sms_catalogue(transactional_db):
    """Transactional tests start from a flushed database: put the CEMS templates back."""
    from templates_app.catalogue import CATALOGUE
    from templates_app.services import catalogue_sync

    catalogue_sync(catalogue=CATALOGUE)


def run_together(*functions):
    """Start the functions at the same instant (barrier); return their results or errors."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def worker(index, fn):
        try:
            barrier.wait(timeout=10)
            results[index] = fn()
        except Exception as exc:  # reported to the test, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_two_agents_at_once_exactly_one_payout(intake, staff, attempt):
    results = run_together(
        lambda: intake(actor=staff.agent),
        lambda: intake(actor=staff.agent_b),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.outcome for r in results) == ["payout", "rejected_duplicate"]
    winner = next(r for r in results if r.outcome == "payout")
    loser = next(r for r in results if r.outcome == "rejected_duplicate")
    assert loser.duplicate_of.pk == winner.notice.pk
    assert FinePayout.objects.count() == 1
    assert FineNotice.objects.filter(claims_violation=True).count() == 1


def test_two_batch_runs_at_once_pay_each_payout_once(intake):
    from fines.services import payout_batch_run

    RecordingTransferGateway.calls.clear()
    payouts = [
        intake(violation_at=f"2024-06-15T22:{minute:02d}:00+09:00").payout
        for minute in (5, 10, 15, 20, 25)
    ]
    at = datetime(2024, 6, 17, 14, 0, tzinfo=SEOUL)
    results = run_together(lambda: payout_batch_run(at=at), lambda: payout_batch_run(at=at))
    assert not any(isinstance(r, Exception) for r in results), results
    paid = sorted(pk for r in results for pk in r.paid)
    assert paid == sorted(p.pk for p in payouts)
    assert BankTransfer.objects.count() == 5
    assert len(RecordingTransferGateway.calls) == 5
    assert FinePayout.objects.filter(status=PayoutStatus.PAID).count() == 5


def test_the_database_constraint_alone_stops_the_second_payout(intake, staff, monkeypatch):
    """Both agents pass the Python check (it is blinded here): only the partial unique index
    can refuse the second claim, and the loser becomes the duplicate."""
    import fines.services.intake as intake_module

    real = intake_module.first_claim
    seen = threading.local()

    def blind_first_check(**kwargs):
        if not getattr(seen, "called", False):
            seen.called = True
            return None
        return real(**kwargs)

    monkeypatch.setattr(intake_module, "first_claim", blind_first_check)
    results = run_together(
        lambda: intake(actor=staff.agent),
        lambda: intake(actor=staff.agent_b),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.outcome for r in results) == ["payout", "rejected_duplicate"]
    assert FinePayout.objects.count() == 1
    loser = next(r for r in results if r.outcome == "rejected_duplicate")
    assert loser.notice is not None and loser.notice.claims_violation is False
