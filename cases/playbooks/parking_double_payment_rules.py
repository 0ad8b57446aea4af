"""Seed 000 (이중결제 취소요청 [타사주차권]): the pure decision functions, facts in, outcome out.

Split from ``cases.playbooks.parking_double_payment`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _common as c
from .site_rules import DEFAULT_LOT_RULES, LotRule, match_lot_rule

# --------------------------------------------------------------------------- decision


def lot_rule(facts: dict, rules: tuple[LotRule, ...] = DEFAULT_LOT_RULES) -> str | None:
    """The seed's lot rules, which come before any other decision: the outcome of the first
    rule (rows in force, through ``env.lot_rules``) whose lot the facts describe."""
    rule = match_lot_rule(facts, rules)
    return rule.action if rule else None


def missing_evidence(facts: dict) -> list[str]:
    if facts["other_app"] == "modu":
        missing = []
        if not facts.get("reservation_history_attached"):
            missing.append("예약내역")
        if not facts.get("payment_history_attached"):
            missing.append("결제내역")
        return missing
    return [] if facts.get("usage_history_attached") else ["이용내역"]


def required_evidence(facts: dict) -> list[str]:
    """The history this app's ticket needs (모두의주차장: 예약내역 and 결제내역)."""
    return ["예약내역", "결제내역"] if facts["other_app"] == "modu" else ["이용내역"]


def _stage(facts: dict, rules: tuple[LotRule, ...] = DEFAULT_LOT_RULES) -> str:
    if not facts.get("account_holder", True):
        return "restricted"  # ※ 본인이 아닌 경우 상담제한: nothing else is said
    if lot_rule(facts, rules):
        return "lot_rule"
    if facts.get("channel", "chat") == "phone":
        return "phone"
    if missing_evidence(facts):
        return "evidence"
    return "decide"


def _norm(value: str) -> str:
    return "".join(value.split())


@dataclass(frozen=True)
class Mismatch:
    item: str
    reserved: str
    actual: str


def mismatches(facts: dict, actual_lot: str | None = None) -> list[Mismatch]:
    """Which of 차량번호 / 예약일 / 주차장 differ between the ticket and the actual use.

    ``actual_lot`` is how the actual lot may be named (district only without 소유인증)."""
    found: list[Mismatch] = []
    ticket_car, car = facts.get("ticket_car_number", ""), facts.get("car_number", "")
    if ticket_car and car and _norm(ticket_car) != _norm(car):
        found.append(Mismatch("차량번호", ticket_car, car))
    ticket_date = facts.get("ticket_date")
    entry_day = c.seoul(facts["entry_at"]).date()
    if ticket_date and ticket_date != entry_day:
        found.append(Mismatch("예약일", c.ymd(ticket_date), c.ymd(entry_day)))
    ticket_lot = facts.get("ticket_lot_name", "")
    if ticket_lot and _norm(ticket_lot) != _norm(facts["lot_name"]):
        found.append(Mismatch("주차장", ticket_lot, actual_lot or facts["lot_name"]))
    return found


def bought_after_entry(facts: dict) -> bool:
    if facts.get("bought_after_entry_label"):
        return True
    purchased = facts.get("ticket_purchased_at")
    return bool(purchased and purchased > facts["entry_at"])


def used_minutes(facts: dict) -> int | None:
    if not facts.get("exit_at"):
        return None
    return int((facts["exit_at"] - facts["entry_at"]).total_seconds() // 60)


def _customer_fault(facts: dict) -> str | None:
    if bought_after_entry(facts):
        return "customer_fault_bought_after_entry"
    if mismatches(facts):
        return "customer_fault_info_mismatch"
    return None


def excess_fee(facts: dict) -> int | None:
    """The fee for the time beyond the ticket (seed 000 A2 ③: "주차권 적용 후 남은 OO시간에
    대한 요금 OOO원").

    From the lot's tariff when the agent gives it (추가요금 단위 and 단위당 요금: every started
    unit is charged); otherwise the pass amount, since with the ticket applied the pass charged
    only the excess."""
    used, hours = used_minutes(facts), facts.get("ticket_hours")
    if used is None or not hours:
        return None
    unit, per_unit = facts.get("extra_fee_unit_minutes"), facts.get("extra_fee_per_unit")
    if unit and per_unit is not None:
        excess = max(used - hours * 60, 0)
        return -(-excess // unit) * per_unit
    return facts.get("pass_amount")


def decide(facts: dict, rules: tuple[LotRule, ...] = DEFAULT_LOT_RULES) -> str:
    stage = _stage(facts, rules)
    if stage == "restricted":
        return "consultation_restricted"
    if stage == "lot_rule":
        return lot_rule(facts, rules)
    if stage in ("phone", "evidence"):
        return "request_evidence"
    fault = _customer_fault(facts)
    if fault:
        return fault
    applied = facts.get("ticket_applied")
    if applied is False:  # "주차권이 제대로 적용되지 않아 결제가 이루어진 상황"
        return "cancel_pass_payment"
    if applied or used_minutes(facts) > facts["ticket_hours"] * 60:
        return "normal_overtime"  # the ticket was applied; the pass charged the excess only
    return "cancel_pass_payment"
