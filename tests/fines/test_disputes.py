"""Disputed parking fines: the dashcam deadline, the 50/50 cash split, the Agit cash request
only when confirmed with the ID and account copies."""

from datetime import date, datetime

import pytest
from django.db import IntegrityError, transaction

from cases.exceptions import ActionNotAllowed
from cases.models import EscalationPost
from fines import codes, services
from fines.models import DisputeResolution, FinePayout
from fines.services._common import FineError
from tests.fines.conftest import SEOUL

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "driver", "company"), [(40000, 20000, 20000), (40001, 20000, 20001), (1, 0, 1)]
)
def test_split_is_integer_and_the_company_pays_the_odd_won(amount, driver, company):
    assert codes.split_cash_payment(amount) == (driver, company)


def test_split_refuses_zero():
    with pytest.raises(ValueError):
        codes.split_cash_payment(0)


@pytest.fixture
def dispute(intake, staff):
    result = intake(
        violation_kind="parking_enforcement",
        driver_disputes=True,
        amount=40001,
        violation_at="2024-06-16T08:00:00+09:00",
        violation_lat=37.5045,
        violation_lng=127.0490,
    )
    assert result.outcome == "transfer_to_manager"
    assert result.notice.evidence_result == "pass"  # parked at the end point after the ride
    return services.dispute_open(
        notice=result.notice,
        actor=staff.manager,
        driver_claim="주차 후 고객이 차량을 옮김",
        arrival_matches_violation=True,
    )


def test_only_the_manager_opens_a_dispute(intake, staff):
    result = intake(violation_kind="parking_enforcement")
    with pytest.raises(ActionNotAllowed):
        services.dispute_open(notice=result.notice, actor=staff.agent, driver_claim="부인")
    other = intake(violation_kind="general", violation_at="2024-06-15T22:30:00+09:00")
    with pytest.raises(FineError, match="주정차"):
        services.dispute_open(notice=other.notice, actor=staff.manager, driver_claim="부인")


def test_dashcam_request_stores_the_two_week_due_date(dispute, staff):
    at = datetime(2024, 6, 18, 23, 30, tzinfo=SEOUL)
    dispute = services.dispute_request_dashcam(dispute=dispute, actor=staff.manager, at=at)
    assert dispute.dashcam_due_on == date(2024, 7, 2)


def test_no_footage_pays_cash_split_and_posts_only_when_ready(dispute, staff):
    with pytest.raises(FineError, match="블랙박스"):
        services.dispute_resolve(dispute=dispute, actor=staff.manager, resolution="cash_split")
    services.dispute_request_dashcam(dispute=dispute, actor=staff.manager)
    services.dispute_resolve(dispute=dispute, actor=staff.manager, resolution="cash_split")
    dispute.refresh_from_db()
    assert (dispute.cash_amount, dispute.driver_share, dispute.company_share) == (
        40001,
        20000,
        20001,
    )
    assert not FinePayout.objects.exists()  # cash, not the bank batch
    with pytest.raises(FineError, match="현금 지급 확정"):
        services.dispute_cash_post(dispute=dispute, actor=staff.manager)
    services.dispute_cash_confirm(dispute=dispute, actor=staff.manager)
    with pytest.raises(FineError, match="신분증"):
        services.dispute_cash_post(dispute=dispute, actor=staff.manager)
    services.dispute_cash_documents(
        dispute=dispute,
        actor=staff.manager,
        id_copy_received=True,
        account_copy_received=True,
        chat_id="CHAT-001",
    )
    post = services.dispute_cash_post(dispute=dispute, actor=staff.manager)
    assert (post.board, post.template) == ("대리CS", "과태료 현금 지급 요청")
    assert "기사 20,000원" in post.body and "당사 20,001원" in post.body
    assert "CHAT-001" in post.body
    with pytest.raises(FineError, match="이미"):
        services.dispute_cash_post(dispute=dispute, actor=staff.manager)
    assert EscalationPost.objects.filter(template="과태료 현금 지급 요청").count() == 1


def test_database_refuses_a_cash_post_without_the_documents(dispute):
    dispute.cash_request_posted_at = datetime(2024, 6, 18, tzinfo=SEOUL)
    with pytest.raises(IntegrityError), transaction.atomic():
        dispute.save()


def test_database_refuses_shares_that_do_not_add_up(dispute):
    dispute.cash_amount, dispute.driver_share, dispute.company_share = 40001, 20000, 20000
    with pytest.raises(IntegrityError), transaction.atomic():
        dispute.save()


def test_footage_proves_the_customer_charges_the_driver(dispute, staff):
    services.dispute_request_dashcam(dispute=dispute, actor=staff.manager)
    payout = services.dispute_resolve(
        dispute=dispute, actor=staff.manager, resolution=DisputeResolution.CHARGE_DRIVER
    )
    assert payout.charge_driver is True and payout.amount == 40001


def test_footage_proves_the_driver_no_payout(dispute, staff):
    services.dispute_request_dashcam(dispute=dispute, actor=staff.manager)
    assert (
        services.dispute_resolve(
            dispute=dispute, actor=staff.manager, resolution=DisputeResolution.CUSTOMER_BEARS
        )
        is None
    )
    assert not FinePayout.objects.exists()
    with pytest.raises(FineError, match="이미 결정"):
        services.dispute_resolve(dispute=dispute, actor=staff.manager, resolution="cash_split")
