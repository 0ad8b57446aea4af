"""Korean labels for the codes the playbooks speak: outcomes, figures, due rules.

Codes (``cancel_pass_payment``, ``pass_amount``, ``business_days:5``) are stable and cross the
API; agents, leads and auditors read Korean. Every screen that shows one of them asks here, so
a code never reaches a page raw and one label is used everywhere:

- outcomes come from each playbook module's ``OUTCOMES`` (an ordered mapping code -> label);
- figures (``Proposal.figures``) from :data:`FIGURES`: key -> (label, kind), where the kind
  says how to write the value the way the playbooks write it (원, 분, 날짜);
- due rules (``CaseStep.due_rule``) from :func:`due_rule_label`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

#: What a playbook says when the seed does not decide: a person chooses, nobody overrides to it.
NEEDS_REVIEW = "needs_review"


# --------------------------------------------------------------------------- outcomes
def _module(playbook: str):
    from cases.playbooks import get_playbook

    try:
        return get_playbook(playbook)
    except LookupError:
        return None


def outcome_labels(playbook: str) -> dict[str, str]:
    """The playbook's ``OUTCOMES`` (code -> Korean label), in its order; {} for none."""
    declared = getattr(_module(playbook), "OUTCOMES", None) or {}
    if isinstance(declared, Mapping):
        return {str(code): str(label) for code, label in declared.items()}
    return {str(code): str(code) for code in declared}


def outcome_label(playbook: str, code: str | None) -> str:
    """The Korean label of ``code`` in ``playbook`` (any playbook's label if the playbook does
    not know it; the code itself only when nobody does, so nothing is hidden)."""
    if not code:
        return ""
    label = outcome_labels(playbook).get(code)
    if label:
        return label
    return all_outcome_labels().get(code, code)


def override_choices(playbook: str) -> list[tuple[str, str]]:
    """(code, label) a lead may decide instead of the proposal: every declared outcome but
    ``needs_review``, in the playbook's order."""
    return [(c, label) for c, label in outcome_labels(playbook).items() if c != NEEDS_REVIEW]


@lru_cache(maxsize=1)
def all_outcome_labels() -> dict[str, str]:
    """code -> label over every playbook; a code two playbooks share (``rejected_duplicate``,
    ``needs_review``) gets both labels when they differ."""
    from cases.playbooks import PLAYBOOKS

    merged: dict[str, list[str]] = {}
    for code in PLAYBOOKS:
        for outcome, label in outcome_labels(code).items():
            labels = merged.setdefault(outcome, [])
            if label not in labels:
                labels.append(label)
    return {code: " / ".join(labels) for code, labels in merged.items()}


@lru_cache(maxsize=1)
def outcome_filter_choices() -> tuple[tuple[str, str], ...]:
    """(code, "플레이북: label") for the admin's outcome filter: every playbook's outcomes,
    grouped by playbook, each code once."""
    from cases.models.choices import PlaybookCode
    from cases.playbooks import PLAYBOOKS

    names = dict(PlaybookCode.choices)
    seen: dict[str, list[str]] = {}
    order: list[str] = []
    for code in PLAYBOOKS:
        for outcome, label in outcome_labels(code).items():
            if outcome not in seen:
                seen[outcome] = []
                order.append(outcome)
            seen[outcome].append(f"{names.get(code, code)}: {label}")
    return tuple((outcome, " / ".join(seen[outcome])) for outcome in order)


# --------------------------------------------------------------------------- figures
SEOUL = ZoneInfo("Asia/Seoul")


def _fine_codes(name: str) -> dict[str, str]:
    from fines import codes

    return getattr(codes, name)


#: Every figure a playbook returns (``Proposal.figures``): key -> (Korean label, kind).
#: Kinds: won, minutes, days, km, kwh, date, datetime, bool, text, list, case, payout, posts,
#: and "choice:<fines.codes mapping>" for a code with a Korean name.
FIGURES: dict[str, tuple[str, str]] = {
    # parking_double_payment (seed 000)
    "pass_amount": ("주차패스 결제금액", "won"),
    "ticket_minutes": ("주차권 이용시간", "minutes"),
    "used_minutes": ("실제 이용시간", "minutes"),
    "excess_minutes": ("초과 이용시간", "minutes"),
    "excess_fee": ("초과 이용 요금", "won"),
    "refund_amount": ("환불(결제취소) 금액", "won"),
    "coupon_offered": ("T 주차권 쿠폰 제시", "bool"),
    "coupon_expires_on": ("쿠폰 사용기한", "date"),
    "mismatched": ("정보 상이 항목", "list"),
    "missing_evidence": ("부족한 내역", "list"),
    # parking_operations (seed 001)
    "paid_amount": ("결제금액", "won"),
    "start_date": ("정기권 시작일", "date"),
    "cancel_date": ("해지일", "date"),
    "elapsed_days": ("경과일 수", "days"),
    "daily_max_fee": ("일최대요금", "won"),
    "deduction": ("차감액 (경과일 수 x 일최대요금)", "won"),
    "refund": ("환불 예정 금액", "won"),
    # driver_nonride_cancel (seed 002)
    "meter_distance_km": ("운행거리", "km"),
    "meter_minutes": ("운행시간", "minutes"),
    "cancel_amount": ("취소금액", "won"),
    # ev_charging (seed 003)
    "amount": ("금액", "won"),
    "kwh": ("충전량", "kwh"),
    # traffic_fine (seed 004)
    "category": ("과태료 구분", "choice:CATEGORIES"),
    "call_id": ("콜 ID", "text"),
    "call_type": ("콜 구분", "choice:CALL_TYPES"),
    "notice_type": ("고지 구분", "choice:NOTICE_TYPES"),
    "violation_kind": ("위반 유형", "choice:VIOLATION_KINDS"),
    "evidence_result": ("증빙 확인 결과", "choice:EVIDENCE_RESULTS"),
    "evidence_reason": ("증빙 확인 내용", "text"),
    "duplicate_of_case_id": ("원 접수 케이스", "case"),
    "earlier_payout_id": ("기지급 건", "payout"),
    "answer": ("답변내용", "text"),
    "missing": ("보완 필요 서류", "list"),
    "scheduled_payout_at": ("지급 예정 일시", "datetime"),
    "charge_driver": ("기사 포인트 차감", "bool"),
    "extra_escalations": ("추가 아지트 글", "posts"),
    "branch_account": ("입금지사 계좌", "text"),
    "penalty": ("범칙금", "bool"),
    "parking_dispute": ("주정차 위반 기사 미인정", "bool"),
    "cash_driver_share": ("현금 지급 기사 부담 (50%)", "won"),
    "cash_company_share": ("현금 지급 당사 부담 (50%)", "won"),
    "dashcam_due_on": ("블랙박스 영상 회신 기한", "date"),
}


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(SEOUL).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return moment.astimezone(SEOUL) if moment.tzinfo else moment


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def format_figure(kind: str, value: Any) -> str:
    """``value`` written the way the playbooks write it (12,300원 / 2시간 15분 / 2024년 12월
    05일); a value of an unexpected type falls back to its text, never to a crash."""
    from cases.playbooks import _common as c

    if value is None or value == "" or value == [] or value == ():
        return "—"
    if kind == "bool":
        return "예" if value else "아니오"
    if kind == "won":
        number = _number(value)
        return c.won(int(number)) if number is not None else str(value)
    if kind == "minutes":
        number = _number(value)
        return c.duration(int(number)) if number is not None else str(value)
    if kind == "days":
        return f"{value}일"
    if kind == "km":
        return f"{value}km"
    if kind == "kwh":
        return f"{value}kWh"
    if kind == "date":
        day = _as_date(value)
        return c.ymd(day) if day else str(value)
    if kind == "datetime":
        moment = _as_datetime(value)
        return f"{c.ymd(moment.date())} {moment:%H:%M}" if moment else str(value)
    if kind == "case":
        return f"케이스 {value}번"
    if kind == "payout":
        return f"지급 건 {value}번"
    if kind == "list":
        items = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(str(v) for v in items)
    if kind == "posts":
        items = value if isinstance(value, (list, tuple)) else [value]
        names = []
        for item in items:
            if isinstance(item, Mapping):
                names.append(" > ".join(str(item[k]) for k in ("board", "template") if item.get(k)))
            else:
                names.append(str(getattr(item, "board", item)))
        return ", ".join(n for n in names if n) or "—"
    if kind.startswith("choice:"):
        return _fine_codes(kind.split(":", 1)[1]).get(str(value), str(value))
    return str(value)


def figure_label(key: str) -> str:
    return FIGURES.get(key, (key, "text"))[0]


def figure_rows(figures: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(Korean label, formatted value) for each figure that has a value, in the playbook's
    order; keys the registry does not know keep their key (a test keeps that list empty)."""
    rows = []
    for key, value in (figures or {}).items():
        if value is None or value == "" or value == [] or value == ():
            continue
        label, kind = FIGURES.get(key, (key, "text"))
        rows.append((label, format_figure(kind, value)))
    return rows


# --------------------------------------------------------------------------- facts
#: Labels of facts a case may hold without its playbook's FACTS naming them now (a fact of an
#: earlier playbook version, a key an import carried): the serializer's label wins when it has
#: one, so these are the fallback that keeps a code off the page.
FACT_LABELS: dict[str, str] = {
    "service_type": "서비스 타입(콜타입)",
    "cancel_scheduled": "즉시 취소 불가 (취소예정)",
    "fare_amount": "결제(취소)금액",
    "cancelled_amount": "취소금액(기처리)",
    "pass_amount": "주차패스 결제금액",
    "paid_amount": "결제금액",
    "daily_max_fee": "일최대요금",
    "extra_fee_per_unit": "단위당 추가요금(원)",
    "amount": "금액",
}

#: Facts that are amounts of money (원): written "12,000원" wherever a fact is shown.
WON_FACTS = frozenset(
    {
        "amount",
        "cancelled_amount",
        "daily_max_fee",
        "extra_fee_per_unit",
        "fare_amount",
        "paid_amount",
        "pass_amount",
    }
    | {key for key, (_label, kind) in FIGURES.items() if kind == "won"}
)


def fact_label(name: str, field: Any = None) -> str:
    """The Korean label of fact ``name``: the FACTS field's, else the registry's, else the
    figure's of the same key; the code only when nobody knows it."""
    label = getattr(field, "label", None)
    if label:
        return str(label)
    return FACT_LABELS.get(name) or FIGURES.get(name, (name, ""))[0]


def format_fact(name: str, value: Any) -> str:
    """A fact's value as the screens write it: amounts "12,000원", 예/아니오, "—" for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "예" if value else "아니오"
    if name in WON_FACTS:
        return format_figure("won", value)
    return str(value)


def due_rule_label(rule: str | None) -> str:
    """``business_days:5`` -> '영업일 5일 이내' (the due rules of kmcs_site.business_time)."""
    if not rule:
        return ""
    name, _sep, arg = rule.partition(":")
    if name == "business_days":
        return f"영업일 {arg}일 이내"
    if name == "days":
        return f"{arg}일 이내"
    if name == "hours":
        return f"{arg}시간 이내"
    if name == "next_business_day":
        return "다음 영업일"
    if name == "payout_batch":
        return "과태료 지급 배치 (14시)"
    if name == "service_level":
        from django.conf import settings

        who = {"team": "담당부서", "partner": "운영사", "cpo": "CPO", "driver": "기사"}
        who.update(customer="고객")
        target = getattr(settings, "KMCS_SERVICE_LEVELS", {}).get(arg, "")
        inner = due_rule_label(target) if target and not target.startswith("service_level") else ""
        return f"{who.get(arg, '서비스 수준')} 회신 ({inner})" if inner else "서비스 수준 기한"
    return rule


# --------------------------------------------------------------------------- choices
#: ``{(choices class, language): {value: label}}``: each choice list's labels, translated once
#: per language per process (issue 17.2). ``get_status_display()`` rebuilds the choices and
#: runs gettext on every call: about 4,200 calls for one admin changelist page.
_CHOICE_LABELS: dict[tuple[type, str | None], dict[str, str]] = {}


def choice_label(choices: type, value: Any) -> str:
    """The label of ``value`` in the ``TextChoices`` class ``choices``, in the active language,
    from a per-language table built once; the value itself when the class does not know it."""
    from django.utils.translation import get_language

    key = (choices, get_language())
    table = _CHOICE_LABELS.get(key)
    if table is None:
        table = {str(v): str(label) for v, label in choices.choices}
        _CHOICE_LABELS[key] = table
    if value is None:
        return ""
    return table.get(str(value), str(value))
