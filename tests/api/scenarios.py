"""One set of facts per playbook branch (the simulator tests and the intake tests use them).

Made-up values only: 010-0000-xxxx phones, placeholder accounts, invented lots and stations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Inside the seed's coupon campaign (2024-11-27 ~ 2024-12-31), a Monday morning in Seoul.
AT = "2024-12-02T10:00:00+09:00"


def nonride_facts(call_id: str = "700000001", **changes: Any) -> dict[str, Any]:
    """driver_nonride_cancel, approved: 0.0 km, one minute, start = last point."""
    facts = {
        "received_on": "2024-12-01",
        "driver_id": "drv-0001",
        "call_id": call_id,
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "fare_amount": 15000,
        "called_on": "2024-11-30",
        "origin": "서울 강남구 테헤란로",
    }
    facts.update(changes)
    return facts


def double_payment_facts(**changes: Any) -> dict[str, Any]:
    """parking_double_payment, chat, history attached, stay within the ticket's hours."""
    facts = {
        "channel": "chat",
        "ownership_verified": True,
        "lot_name": "테스트 강남역 주차장",
        "lot_district": "서울 강남구",
        "lot_integration": "linked",
        "entry_at": "2024-12-01T10:00:00+09:00",
        "exit_at": "2024-12-01T12:00:00+09:00",
        "car_number": "12가3456",
        "pass_amount": 6000,
        "other_app": "tmap",
        "usage_history_attached": True,
        "ticket_hours": 3,
        "ticket_car_number": "12가3456",
        "ticket_date": "2024-12-01",
        "onsite_check_needed": False,
    }
    facts.update(changes)
    return facts


def ev_facts(case_type: str = "paid_not_charged", **changes: Any) -> dict[str, Any]:
    facts = {
        "case_type": case_type,
        "station_name": "테스트 강남",
        "charge_started_at": "2024-12-01T09:00:00+09:00",
        "charge_ended_at": "2024-12-01T09:40:00+09:00",
        "tid": "TID-0001",
        "kwh": "12.500",
        "amount": 5000,
        "cpo_name": "테스트 CPO",
    }
    facts.update(changes)
    return facts


def operations_facts(**changes: Any) -> dict[str, Any]:
    """parking_operations, a car-number change at a 케이엠파크 manual site."""
    facts = {
        "request_kind": "car_number_change",
        "partner": "kmpark",
        "site_kind": "manual_normal",
        "lot_name": "테스트 수동현장",
        "car_number": "12가3456",
        "new_car_number": "34나5678",
    }
    facts.update(changes)
    return facts


def midterm_facts(**changes: Any) -> dict[str, Any]:
    return operations_facts(
        request_kind="midterm_cancel",
        new_car_number="",
        paid_amount=150000,
        start_date="2024-11-01",
        cancel_date="2024-11-10",
        daily_max_fee=10000,
        **changes,
    )


def fine_facts(call_id: str = "800000001", **changes: Any) -> dict[str, Any]:
    """traffic_fine, a general fine on an own call, documents complete, evidence matches."""
    facts = {
        "call_id": call_id,
        "has_notice_image": True,
        "bank": "088",
        "account_number": "110-123-456789",
        "account_holder": "홍길동",
        "amount": 40000,
        "violation_at": "2024-11-20T22:10:00+09:00",
        "violation_place": "서울 강남구 테헤란로",
        "notice_issued_on": "2024-11-28",
        "received_on": "2024-12-01",
        "evidence_result": "pass",
    }
    facts.update(changes)
    return facts


@dataclass(frozen=True)
class Scenario:
    playbook: str
    outcome: str
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.playbook}:{self.outcome}"


SCENARIOS: tuple[Scenario, ...] = (
    # --- seed 002 ---------------------------------------------------------------------------
    Scenario("driver_nonride_cancel", "approved", nonride_facts()),
    Scenario(
        "driver_nonride_cancel",
        "rejected_ride_recorded",
        nonride_facts(meter_distance_km="3.2", meter_minutes=15),
    ),
    Scenario(
        "driver_nonride_cancel",
        "rejected_already_processed",
        nonride_facts(already_cancelled=True, cancelled_on="2024-11-30", cancelled_amount=15000),
    ),
    Scenario(
        "driver_nonride_cancel",
        "rejected_other_inquiry",
        nonride_facts(inquiry_kind="other", other_inquiry_summary="포인트 적립"),
    ),
    Scenario(
        "driver_nonride_cancel",
        "rejected_duplicate",
        nonride_facts(
            has_open_duplicate=True,
            duplicate_received_on="2024-11-29",
            duplicate_ref="상담ID 123456",
        ),
    ),
    Scenario("driver_nonride_cancel", "needs_review", nonride_facts(start_equals_last_point=False)),
    # --- seed 000 ---------------------------------------------------------------------------
    Scenario("parking_double_payment", "cancel_pass_payment", double_payment_facts()),
    Scenario(
        "parking_double_payment",
        "normal_overtime",
        double_payment_facts(exit_at="2024-12-01T14:30:00+09:00"),
    ),
    Scenario(
        "parking_double_payment",
        "customer_fault_bought_after_entry",
        double_payment_facts(ticket_purchased_at="2024-12-01T10:30:00+09:00"),
    ),
    Scenario(
        "parking_double_payment",
        "customer_fault_info_mismatch",
        double_payment_facts(ticket_car_number="34나5678"),
    ),
    Scenario(
        "parking_double_payment",
        "request_evidence",
        double_payment_facts(usage_history_attached=False),
    ),
    Scenario(
        "parking_double_payment",
        "refer_control_center",
        double_payment_facts(lot_name="테스트 성북구 공영주차장", lot_district="서울 성북구"),
    ),
    Scenario(
        "parking_double_payment",
        "center_contacts_control_center",
        double_payment_facts(lot_name="테스트 속초 공영주차장", lot_district="강원 속초시"),
    ),
    Scenario(
        "parking_double_payment",
        "escalate_agit",
        double_payment_facts(lot_name="인천공항 테스트 주차장", lot_district="인천 중구"),
    ),
    # --- seed 003 ---------------------------------------------------------------------------
    Scenario("ev_charging", "forward_to_cpo", ev_facts("paid_not_charged")),
    Scenario("ev_charging", "postbill_notice", ev_facts("charged_not_paid")),
    Scenario("ev_charging", "exclude_from_billing", ev_facts("postbill_before_payment")),
    Scenario("ev_charging", "cancel_after_settlement", ev_facts("postbill_after_payment")),
    # --- seed 001 ---------------------------------------------------------------------------
    Scenario("parking_operations", "follow_route", operations_facts()),
    Scenario("parking_operations", "explain_refund", midterm_facts()),
    Scenario(
        "parking_operations",
        "escalate_business_owner",
        midterm_facts(customer_agrees=False),
    ),
    Scenario(
        "parking_operations",
        "needs_review",
        midterm_facts(site_kind="t_monthly", customer_agrees=True),
    ),
    # --- seed 004 ---------------------------------------------------------------------------
    Scenario("traffic_fine", "payout", fine_facts()),
    Scenario(
        "traffic_fine",
        "transfer_to_manager",
        fine_facts(violation_kind="disabled_parking"),
    ),
    Scenario("traffic_fine", "rejected_duplicate", fine_facts(duplicate_of_case_id=1)),
    # Seed 004 특이이슈: a place/time mismatch goes to the manager (담당자 이관 + 시간소요 양해
    # SMS); rejected_evidence_mismatch is only the manager's later finding, never proposed here.
    Scenario(
        "traffic_fine",
        "transfer_to_manager",
        fine_facts(evidence_result="fail", evidence_reason="위반장소가 운행 경로와 다름"),
    ),
    Scenario("traffic_fine", "request_documents", fine_facts(has_notice_image=False)),
)
