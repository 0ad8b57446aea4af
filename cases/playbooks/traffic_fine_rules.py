"""Seed 004 (과태료 처리 프로세스): the pure decision functions, facts in, category and outcome out.

Split from ``cases.playbooks.traffic_fine`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

from fines import codes

from .traffic_fine_scripts import (
    ACCOUNT_FIELDS,
)

# --------------------------------------------------------------------------- decision


def is_place_time_mismatch(facts: dict) -> bool:
    """The evidence check found the notice's time or place off the ride's record."""
    return facts.get("evidence_result") == codes.EVIDENCE_FAIL


def violation_kind(facts: dict) -> str:
    """The fine's kind as the seed files it: a general fine whose time or place does not
    match the ride is the seed's first special issue, "장소, 시간 불일치 건"."""
    kind = facts.get("violation_kind", codes.GENERAL)
    if is_place_time_mismatch(facts) and kind == codes.GENERAL:
        return codes.PLACE_TIME_MISMATCH
    return kind


def category(facts: dict) -> str:
    return codes.category_of(
        call_type=facts.get("call_type", codes.OWN),
        notice_type=facts.get("notice_type", codes.FINE),
        violation_kind=violation_kind(facts),
    )


def missing_documents(facts: dict) -> list[str]:
    missing = []
    if not facts.get("has_notice_image"):
        missing.append("과태료 고지서 이미지")
    if not facts.get("has_account"):
        missing.append(ACCOUNT_FIELDS)
    return missing


def decide(facts: dict) -> str:
    if facts.get("duplicate_of_case_id") or facts.get("earlier_payout_id"):
        return codes.REJECTED_DUPLICATE
    if missing_documents(facts):
        return codes.REQUEST_DOCUMENTS
    if is_place_time_mismatch(facts) and facts.get("evidence_rejected"):
        # The manager's finding after the transfer: not a fine of this ride.
        return codes.REJECTED_EVIDENCE_MISMATCH
    if category(facts) in (codes.CAT_SPECIAL, codes.CAT_PENALTY):
        return codes.TRANSFER_TO_MANAGER
    return codes.PAYOUT


def is_parking_dispute(facts: dict) -> bool:
    return bool(facts.get("driver_disputes")) and facts.get("violation_kind") in codes.PARKING_KINDS
