"""Demo cases for a fresh ``./bin/dev``: every playbook in every state, dated around today.

Everything goes through the services an agent's clicks call (``case_create``, ``case_take``,
``case_transition``, ``case_decide``, ``case_step_complete``...), so the demo data is what a
real shift leaves behind (history rows, step clocks, queued messages, Agit posts). Data is
obviously fake: ``010-0000-xxxx`` phones, "데모" names and places, no real account numbers.

Idempotent: each demo case has its own idempotency key (``demo:<slug>``); a second run finds
every case and creates nothing (a case a first run left half-way is moved on to its state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")

#: The states a demo case is left in (queue, dashboard, overdue list and audit pages).
STATES = ("new", "in_progress", "waiting", "decided", "closed", "overdue")

#: Demo agents and the services whose unassigned cases their queue shows.
DEMO_SERVICES = {
    "agent": ["driver", "ev", "parking"],
    "agent2": ["driver", "parking"],
    "deputy": ["driver", "ev", "parking"],
    "lead": ["driver", "ev", "parking"],
    "manager": ["driver", "ev", "parking"],
}


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), SEOUL).isoformat()


# --------------------------------------------------------------------------- facts per playbook
# Each builder: (day the customer wrote in, serial number) -> facts. Serial numbers keep the
# business keys (call IDs, lots, TIDs) of the demo cases apart.


def parking_cancel(day: date, n: int) -> dict[str, Any]:
    return {
        "channel": "chatbot_board",
        "ownership_verified": True,
        "lot_name": f"데모 공영주차장 {n}호",
        "lot_district": "서울 강남구",
        "lot_integration": "linked",
        "entry_at": _at(day - timedelta(days=1), 10),
        "exit_at": _at(day - timedelta(days=1), 11, 30),
        "car_number": f"12가{3400 + n}",
        "pass_amount": 3000 + 500 * (n % 4),
        "other_app": "tmap",
        "usage_history_attached": True,
        "ticket_hours": 2,
        "inquired_on": day.isoformat(),
    }


def parking_overtime(day: date, n: int) -> dict[str, Any]:
    return {**parking_cancel(day, n), "exit_at": _at(day - timedelta(days=1), 14, 10)}


def parking_evidence(day: date, n: int) -> dict[str, Any]:
    facts = parking_cancel(day, n)
    facts.update(
        other_app="modu",
        usage_history_attached=None,
        reservation_history_attached=True,
        payment_history_attached=False,
    )
    return {k: v for k, v in facts.items() if v is not None}


def operations_midterm(day: date, n: int) -> dict[str, Any]:
    start = day - timedelta(days=9 + n % 5)
    return {
        "request_kind": "midterm_cancel",
        "partner": "kmpark",
        "site_kind": "t_monthly",
        "lot_name": f"데모 정기권 주차장 {n}호",
        "car_number": f"34나{5600 + n}",
        "paid_amount": 150000,
        "start_date": start.isoformat(),
        "cancel_date": day.isoformat(),
        "daily_max_fee": 10000,
        "customer_agrees": False,  # 미수긍: the business owners are mentioned on Agit (All)
    }


def operations_refund_explain(day: date, n: int) -> dict[str, Any]:
    facts = operations_midterm(day, n)
    facts.pop("customer_agrees")
    return facts


def operations_car_number(day: date, n: int) -> dict[str, Any]:
    return {
        "request_kind": "car_number_change",
        "partner": "kmpark",
        "site_kind": "t_monthly",
        "lot_name": f"데모 정기권 주차장 {n}호",
        "car_number": f"34나{5600 + n}",
        "new_car_number": f"56다{7800 + n}",
        # Seed 001 "25.3월 정기권부터": a T월 주차권 request is routed by its pass's month, so
        # the pass start is part of the request (this month's pass).
        "start_date": day.replace(day=1).isoformat(),
    }


def driver_approved(day: date, n: int) -> dict[str, Any]:
    return {
        "received_on": day.isoformat(),
        "driver_id": f"DEMO-D{100 + n}",
        "call_id": str(9_900_000 + n),
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "cancel_reason_recorded": False,
        "fare_amount": 15000 + 1000 * (n % 5),
        "called_on": (day - timedelta(days=1)).isoformat(),
        "origin": "데모역 1번 출구",
    }


def driver_ride_recorded(day: date, n: int) -> dict[str, Any]:
    return {**driver_approved(day, n), "meter_distance_km": "3.2", "meter_minutes": 12}


def driver_needs_review(day: date, n: int) -> dict[str, Any]:
    facts = driver_approved(day, n)
    facts.pop("start_equals_last_point")
    return facts


def ev_paid_not_charged(day: date, n: int) -> dict[str, Any]:
    return {
        "case_type": "paid_not_charged",
        "station_kind": "non_direct",
        "station_name": f"데모 충전소 {n}호",
        "charge_started_at": _at(day - timedelta(days=1), 9),
        "charge_ended_at": _at(day - timedelta(days=1), 9, 40),
        "tid": f"DEMO-TID-{n:04d}",
        "kwh": "0.000",
        "amount": 5000 + 700 * (n % 3),
        "cpo_name": "데모CPO",
    }


def ev_charged_not_paid(day: date, n: int) -> dict[str, Any]:
    return {**ev_paid_not_charged(day, n), "case_type": "charged_not_paid", "kwh": "12.500"}


def ev_postbill_before(day: date, n: int) -> dict[str, Any]:
    return {**ev_paid_not_charged(day, n), "case_type": "postbill_before_payment"}


def fine_payout(day: date, n: int) -> dict[str, Any]:
    return {
        "call_id": str(9_800_000 + n),
        "call_type": "own",
        "notice_type": "fine",
        "violation_kind": "general",
        "has_notice_image": True,
        "has_account": True,
        "account_masked": "***-****-0000",
        "account_holder": "데모고객",
        "violation_at": _at(day - timedelta(days=20), 22, n % 60),
        "violation_place": "서울 강남구 데모로",
        "notice_issued_on": (day - timedelta(days=10)).isoformat(),
        "amount": 40000,
        "received_on": day.isoformat(),
    }


def fine_documents(day: date, n: int) -> dict[str, Any]:
    facts = fine_payout(day, n)
    for name in ("has_account", "account_masked", "account_holder"):
        facts.pop(name)
    facts["has_account"] = False
    return facts


@dataclass(frozen=True)
class Variant:
    playbook: str
    facts: Callable[[date, int], dict[str, Any]]
    driver_phone: bool = False
    #: The outcome a lead chooses instead of the proposal (needs_review cases).
    override: str = ""


VARIANTS: dict[str, tuple[Variant, ...]] = {
    "parking_double_payment": (
        Variant("parking_double_payment", parking_cancel),
        Variant("parking_double_payment", parking_overtime),
        Variant("parking_double_payment", parking_evidence),
    ),
    "parking_operations": (
        Variant("parking_operations", operations_midterm),
        Variant("parking_operations", operations_car_number),
        Variant("parking_operations", operations_refund_explain),
    ),
    "driver_nonride_cancel": (
        Variant("driver_nonride_cancel", driver_approved, driver_phone=True),
        Variant("driver_nonride_cancel", driver_ride_recorded, driver_phone=True),
        Variant(
            "driver_nonride_cancel",
            driver_needs_review,
            driver_phone=True,
            override="rejected_ride_recorded",
        ),
    ),
    "ev_charging": (
        Variant("ev_charging", ev_paid_not_charged),
        Variant("ev_charging", ev_charged_not_paid),
        Variant("ev_charging", ev_postbill_before),
    ),
    "traffic_fine": (
        Variant("traffic_fine", fine_payout, driver_phone=True),
        Variant("traffic_fine", fine_documents, driver_phone=True),
    ),
}

#: How old each state's cases are (days before today the customer wrote in).
AGE_DAYS = {"new": 0, "in_progress": 0, "waiting": 1, "decided": 1, "closed": 3, "overdue": 12}


@dataclass(frozen=True)
class DemoCase:
    slug: str
    variant: Variant
    state: str
    serial: int

    @property
    def idempotency_key(self) -> str:
        return f"demo:{self.slug}"


def demo_plan() -> list[DemoCase]:
    """Every playbook in every state (the variants take turns), plus a second new case and a
    second decided case per playbook, so each list has more than one row: 40 cases."""
    plan: list[DemoCase] = []
    serial = 0
    for playbook, variants in VARIANTS.items():
        states = (*STATES, "new", "decided")
        for index, state in enumerate(states):
            serial += 1
            variant = variants[index % len(variants)]
            if state == "overdue":  # the variant whose steps wait on someone with a due time
                variant = variants[0]
            if index == len(states) - 1:  # the second decided case: a lead's override, if any
                variant = next((v for v in variants if v.override), variant)
            plan.append(DemoCase(f"{playbook}-{index + 1:02d}", variant, state, serial))
    return plan


def phones(serial: int) -> tuple[str, str]:
    return f"010-0000-{1000 + serial:04d}", f"010-0000-{5000 + serial:04d}"


# --------------------------------------------------------------------------- demo attachments
#: Kinds whose demo file is a PDF (a usage statement); the others are PNG screenshots.
PDF_KINDS = frozenset({"usage_history"})


def demo_file(kind: str, serial: int):
    """A small, obviously fake evidence file made in memory with Pillow: a grey card saying
    DEMO / FAKE with the kind and the case's serial (a PNG, or a one-page PDF for
    :data:`PDF_KINDS`). No real document, no personal data."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 200), (235, 235, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, 355, 195), outline=(200, 30, 30), width=4)
    draw.text((20, 30), "DEMO - FAKE DOCUMENT", fill=(200, 30, 30))
    draw.text((20, 70), f"kind: {kind}", fill=(40, 40, 40))
    draw.text((20, 100), f"demo case #{serial}", fill=(40, 40, 40))
    draw.text((20, 140), "not a real notice, receipt or statement", fill=(90, 90, 90))
    out = io.BytesIO()
    if kind in PDF_KINDS:
        image.save(out, format="PDF")
        name, content_type = f"demo-{kind}-{serial}.pdf", "application/pdf"
    else:
        image.save(out, format="PNG")
        name, content_type = f"demo-{kind}-{serial}.png", "image/png"
    return SimpleUploadedFile(name, out.getvalue(), content_type=content_type)


def demo_uploads(playbook: str, facts: dict[str, Any], serial: int) -> list[tuple[str, Any]]:
    """(kind, file) for every "첨부 여부" fact the demo facts set true: the demo attaches the
    file the fact claims (``cases.attachments.ATTACHMENT_FACTS``), so no demo case says a
    document was sent that its page does not show."""
    from cases.attachments import ATTACHMENT_FACTS

    return [
        (str(kind), demo_file(str(kind), serial))
        for kind, fact in ATTACHMENT_FACTS.get(playbook, {}).items()
        if facts.get(fact) is True
    ]
