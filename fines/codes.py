"""Stable codes of seed 004 (English snake case: they cross the API and the playbook facts).

Pure Python (no Django models) so ``cases/playbooks/traffic_fine.py`` can import them and stay
pure. Korean stays in the labels.
"""

from __future__ import annotations

OWN = "own"
CONSIGNED = "consigned"
CALL_TYPES = {OWN: "자사콜", CONSIGNED: "위탁콜"}

FINE = "fine"
PENALTY = "penalty"
NOTICE_TYPES = {FINE: "과태료", PENALTY: "범칙금"}

GENERAL = "general"
PLACE_TIME_MISMATCH = "place_time_mismatch"
DISABLED_PARKING = "disabled_parking"
PARKING_ENFORCEMENT = "parking_enforcement"
EV_CHARGING_ZONE = "ev_charging_zone"
ECO_PARKING = "eco_parking"
FIRE_FACILITY = "fire_facility"
GOOD_MILEAGE = "good_mileage"
WITHDRAWN_DRIVER = "withdrawn_driver"
OTHER_SPECIAL = "other_special"

#: The seed's list of special-issue fines ("예시) ... 등"), in its order; other_special is the "등".
VIOLATION_KINDS = {
    GENERAL: "일반",
    PLACE_TIME_MISMATCH: "장소·시간 불일치",
    DISABLED_PARKING: "장애인주차구역",
    PARKING_ENFORCEMENT: "주정차 단속",
    EV_CHARGING_ZONE: "전기차충전구역",
    ECO_PARKING: "친환경주차위반",
    FIRE_FACILITY: "소방시설 주차금지",
    GOOD_MILEAGE: "착한 마일리지(범칙금)",
    WITHDRAWN_DRIVER: "탈퇴기사 과태료",
    OTHER_SPECIAL: "기타 특이이슈",
}
SPECIAL_KINDS = frozenset(VIOLATION_KINDS) - {GENERAL}
#: Parking violations: matched at the ride's end point after the ride (the car stays where the
#: driver left it) and open to the "driver denies" dispute process.
PARKING_KINDS = frozenset(
    {DISABLED_PARKING, PARKING_ENFORCEMENT, EV_CHARGING_ZONE, ECO_PARKING, FIRE_FACILITY}
)

# Categories (구분) = the keys of cases.consultation_types.TRAFFIC_FINE.
CAT_GENERAL = "general"
CAT_CONSIGNED = "consigned"
CAT_SPECIAL = "special"
CAT_PENALTY = "penalty"
CATEGORIES = {
    CAT_GENERAL: "일반_과태료",
    CAT_CONSIGNED: "위탁콜_과태료",
    CAT_SPECIAL: "특이이슈_과태료",
    CAT_PENALTY: "범칙금",
}


def category_of(*, call_type: str, notice_type: str, violation_kind: str) -> str:
    """The fine's category (구분), which decides who handles it.

    - 범칙금 (and 착한 마일리지(범칙금), a penalty notice by name; the seed's special-issue
      process is "범칙금 외") -> ``penalty``: the manager, police visit flow.
    - any special kind -> ``special``: the manager, even on a consigned call (a judgment call
      comes before the partner claim; the manager files the CMNP form too).
    - a consigned call -> ``consigned``: the agent pays, the manager claims from the partner.
    - everything else -> ``general``: the agent.
    """
    if notice_type == PENALTY or violation_kind == GOOD_MILEAGE:
        return CAT_PENALTY
    if violation_kind in SPECIAL_KINDS:
        return CAT_SPECIAL
    if call_type == CONSIGNED:
        return CAT_CONSIGNED
    return CAT_GENERAL


# Playbook outcomes (DOMAIN.md).
PAYOUT = "payout"
TRANSFER_TO_MANAGER = "transfer_to_manager"
REJECTED_DUPLICATE = "rejected_duplicate"
REJECTED_EVIDENCE_MISMATCH = "rejected_evidence_mismatch"
REQUEST_DOCUMENTS = "request_documents"
OUTCOMES = {
    PAYOUT: "지급",
    TRANSFER_TO_MANAGER: "담당자(관리자) 이관",
    REJECTED_DUPLICATE: "반려 (중복 접수)",
    REJECTED_EVIDENCE_MISMATCH: "반려 (증빙 불일치)",
    REQUEST_DOCUMENTS: "서류 요청 (고지서·계좌)",
}

# Evidence check results (fines.evidence).
EVIDENCE_PASS = "pass"
EVIDENCE_FAIL = "fail"
EVIDENCE_UNKNOWN = "unknown"
EVIDENCE_RESULTS = {
    EVIDENCE_PASS: "일치",
    EVIDENCE_FAIL: "불일치",
    EVIDENCE_UNKNOWN: "확인 불가(자료 부족)",
}


def split_cash_payment(amount: int) -> tuple[int, int]:
    """(driver share, company share) of a disputed parking fine paid in cash (기사 50% / 당사 50%).

    Integer KRW: an odd amount leaves one won over, and the company pays it. The seed's point is
    that the driver carries half ("전액 지원은 없음"), never more than half.
    """
    if amount <= 0:
        raise ValueError("금액은 0보다 커야 합니다.")
    driver = amount // 2
    return driver, amount - driver
