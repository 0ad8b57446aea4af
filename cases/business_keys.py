"""The business key of a case: what makes two inquiries "the same request" (duplicate guard).

One function per playbook, over the case's references and facts (references win: they are
what intake read from the source system). An empty key means "no guard" (nothing to compare).

- driver_nonride_cancel: the call ID (seed 002 중복 접수);
- traffic_fine: the call ID plus the violation time to the minute (seed 004 "콜ID 조회로 중복
  여부 체크 (중요)" + "과태료 고지서 및 내용 중복 체크 필수": one ride can bring two different
  notices, e.g. speeding and parking; the same violation noticed twice is the duplicate);
- parking_double_payment: the parking-pass payment being disputed;
- ev_charging: the charging session's TID;
- parking_operations: the request kind plus the lot and the pass (car) it is about (two
  different requests about one lot are not duplicates; the same request twice is).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from kmcs_site.business_time import SEOUL

#: Reference fields a case stores (searchable columns) and intake accepts.
REFERENCE_FIELDS = ("call_id", "charge_tid", "station", "parking_payment_id", "lot")


def _value(name: str, refs: Mapping[str, Any], facts: Mapping[str, Any]) -> str:
    value = refs.get(name)
    if value in (None, ""):
        value = facts.get(name)
    return "" if value is None else str(value).strip()


def _first(names: tuple[str, ...], refs, facts) -> str:
    for name in names:
        value = _value(name, refs, facts)
        if value:
            return value
    return ""


def _operations_key(refs, facts) -> str:
    """request kind : lot [: pass]. A season pass is a car at a lot, so the car number stands
    for the pass when no pass id is given; lot requests (정보수정, 판매중지) have no pass."""
    kind = _value("request_kind", refs, facts)
    lot = _first(("lot", "lot_name", "lot_id"), refs, facts)
    pass_id = _first(("pass_id", "car_number"), refs, facts)
    if not (kind and lot):
        return ""
    return ":".join(part for part in (kind, lot, pass_id) if part)


def _fine_key(refs, facts) -> str:
    """call ID [: violation minute in Seoul]. Without a violation time (a board inquiry that
    did not give one) the call ID alone guards, as the seed's first check does."""
    call_id = _value("call_id", refs, facts)
    if not call_id:
        return ""
    violation = facts.get("violation_at")
    if not violation:
        return call_id
    if isinstance(violation, str):
        try:
            violation = datetime.fromisoformat(violation)
        except ValueError:
            return call_id
    if violation.tzinfo is not None:
        violation = violation.astimezone(SEOUL)
    return f"{call_id}:{violation:%Y%m%d%H%M}"


KEY_RULES: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], str]] = {
    "driver_nonride_cancel": lambda refs, facts: _value("call_id", refs, facts),
    "traffic_fine": _fine_key,
    "parking_double_payment": lambda refs, facts: _first(
        ("parking_payment_id", "pass_payment_id", "payment_id"), refs, facts
    ),
    "ev_charging": lambda refs, facts: _first(("charge_tid", "tid"), refs, facts),
    "parking_operations": _operations_key,
}


def business_key_for(
    playbook: str, *, references: Mapping[str, Any], facts: Mapping[str, Any]
) -> str:
    rule = KEY_RULES.get(playbook)
    return rule(references, facts)[:200] if rule else ""


def references_from(references: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[str, str]:
    """The reference columns of a case: given references, else the same-named facts."""
    aliases = {
        "charge_tid": ("charge_tid", "tid"),
        "parking_payment_id": ("parking_payment_id", "pass_payment_id", "payment_id"),
        "lot": ("lot", "lot_name"),
        "station": ("station", "station_name", "station_id"),
        "call_id": ("call_id",),
    }
    return {name: _first(aliases[name], references, facts) for name in REFERENCE_FIELDS}
