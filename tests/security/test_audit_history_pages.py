"""Issue 12 item 5: the auditor's history of a case (/audit/cases/<id>/) for cases that went
through a decision, an override and closing, for every playbook.

It answered 500 (``TypeError: unhashable type: 'dict'``) for any version that changed the JSON
``proposal``: the value was looked up in the page's user-name map before asking whether the
field is a user reference. The earlier tests only opened in-progress cases.
"""

from __future__ import annotations

import io
import itertools
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cases.models import Case
from cases.playbooks import PLAYBOOKS

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 12, 2, 10, 0, tzinfo=SEOUL)  # a Monday morning
CUSTOMER_PHONE = "010-0000-4411"
DRIVER_PHONE = "010-0000-4422"

_serial = itertools.count(1)


def _facts(playbook: str) -> tuple[dict, dict, str]:
    """(facts, references, channel) the playbook decides (not needs_review); unique each call."""
    n = next(_serial)
    if playbook == "driver_nonride_cancel":
        return (
            {
                "received_on": "2024-12-01",
                "driver_id": "drv-4401",
                "call_id": f"44{n:05d}",
                "meter_distance_km": "0.0",
                "meter_minutes": 1,
                "start_equals_last_point": True,
                "fare_amount": 15000,
                "called_on": "2024-11-30",
                "origin": "서울 강남구 테헤란로",
            },
            {},
            "chatbot_board",
        )
    if playbook == "parking_double_payment":
        car = f"{10 + n % 80}가{1000 + n}"
        return (
            {
                "channel": "chat",
                "ownership_verified": True,
                "lot_name": "강남역 제2공영주차장",
                "lot_district": "서울 강남구",
                "lot_integration": "linked",
                "entry_at": "2024-12-01T10:00:00+09:00",
                "exit_at": "2024-12-01T12:00:00+09:00",
                "car_number": car,
                "pass_amount": 6000,
                "other_app": "tmap",
                "usage_history_attached": True,
                "ticket_hours": 3,
                "ticket_car_number": car,
                "ticket_date": "2024-12-01",
                "onsite_check_needed": False,
            },
            {"parking_payment_id": f"PAY-44{n:05d}"},
            "chat",
        )
    if playbook == "ev_charging":
        return (
            {
                "case_type": "paid_not_charged",
                "station_name": "강남 테헤란로 충전소",
                "charge_started_at": "2024-12-01T09:00:00+09:00",
                "charge_ended_at": "2024-12-01T09:40:00+09:00",
                "tid": f"TID-44{n:05d}",
                "kwh": "12.500",
                "amount": 5000,
                "cpo_name": "이브이파트너스",
            },
            {},
            "chat",
        )
    if playbook == "parking_operations":
        return (
            {
                "request_kind": "car_number_change",
                "partner": "kmpark",
                "site_kind": "manual_normal",
                "lot_name": "케이엠파크 역삼 수동현장",
                "car_number": f"{10 + n % 80}나{2000 + n}",
                "new_car_number": "34나5678",
            },
            {},
            "phone",
        )
    if playbook == "traffic_fine":
        return (
            {
                "call_id": f"45{n:05d}",
                "has_notice_image": True,
                "bank": "088",
                "account_number": "110-000-004411",
                "account_holder": "홍길동",
                "amount": 40000,
                "violation_at": "2024-11-20T22:10:00+09:00",
                "violation_place": "서울 강남구 테헤란로",
                "notice_issued_on": "2024-11-28",
                "received_on": "2024-12-01",
                "evidence_result": "pass",
            },
            {},
            "chatbot_board",
        )
    raise AssertionError(f"no facts for the playbook {playbook!r}: add them to this test")


@pytest.fixture
def lead(make_user):
    return make_user("team_lead", username="hist_lead")


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", username="hist_auditor")


def _new_case(playbook: str, lead, door: str, tmp_path) -> Case:
    """A new case through one of the two doors: ``intake`` (API/workspace: the proposal is
    stored at intake) or ``import`` (the bulk importer: no proposal until the decision, so the
    decision's version changes ``proposal`` from empty to the JSON tree)."""
    from cases.services import case_create

    facts, references, channel = _facts(playbook)
    if door == "intake":
        result = case_create(
            playbook=playbook,
            facts=facts,
            references=references,
            channel=channel,
            actor=lead,
            customer_phone=CUSTOMER_PHONE,
            driver_phone=DRIVER_PHONE,
            driver_id="drv-4401",
            at=AT,
        )
        assert result.created, result.message
        return result.case
    key = f"import-{playbook}-{next(_serial)}"
    source = tmp_path / f"{key}.jsonl"
    row = {
        "playbook": playbook,
        "channel": channel,
        "facts": facts,
        "customer": {"phone": CUSTOMER_PHONE},
        "driver": {"id": "drv-4401", "phone": DRIVER_PHONE},
        "references": references,
        "idempotency_key": key,
        "received_at": "2024-12-02T09:30:00+09:00",
    }
    source.write_text(json.dumps(row, ensure_ascii=False) + "\n", "utf-8")
    out = io.StringIO()
    call_command(
        "import_cases", str(source), as_user=lead.username, stdout=out, progress=False, workers=0
    )
    case = Case.objects.filter(idempotency_key=key).first()
    assert case is not None, out.getvalue()
    return case


def _override_outcome(case: Case, lead) -> str:
    """Decide ``case`` with an outcome other than the proposed one (the first the playbook
    accepts for these facts); returns it."""
    from cases.exceptions import CaseError
    from cases.services import case_decide, case_propose
    from cases.services.decisions import NEEDS_REVIEW, declared_outcomes

    proposed = case_propose(case=case, at=AT).outcome
    refusals = []
    # A playbook that declares no OUTCOMES takes any code (the override brings its reason).
    codes = sorted(declared_outcomes(PLAYBOOKS[case.playbook])) or ["lead_decision"]
    for code in codes:
        if code in (proposed, NEEDS_REVIEW):
            continue
        try:
            case_decide(
                case=case,
                actor=lead,
                override_outcome=code,
                override_reason="현장 확인 결과 다르게 처리",
                at=AT,
            )
        except CaseError as exc:
            refusals.append(f"{code}: {exc}")
            continue
        return code
    raise AssertionError(f"{case.playbook}: no outcome to override to ({refusals})")


def _close(case: Case, lead) -> None:
    from cases.models import EscalationPost
    from cases.services import case_force_close, escalation_post_mark_posted

    for post in EscalationPost.objects.filter(case=case, link_url=""):
        escalation_post_mark_posted(
            post=post, link_url=f"https://agit.example/p/{post.pk}", actor=lead, at=AT
        )
    # The steps a closed case went through are the lifecycle tests' subject; here the lead
    # closes it with a reason (forced close), which also writes a closing version.
    case_force_close(case=case, reason="감사 이력 확인용 종결", actor=lead, at=AT)


DOORS = ("intake", "import")
STATES = ("decided", "overridden", "closed")


@pytest.fixture
def finished_cases(lead, tmp_path):
    """(playbook, door, state) -> case, for every playbook, both doors and each end state."""
    from cases.services import case_decide

    made = {}
    for playbook in sorted(PLAYBOOKS):
        for door in DOORS:
            decided = _new_case(playbook, lead, door, tmp_path)
            case_decide(case=decided, actor=lead, at=AT)
            overridden = _new_case(playbook, lead, door, tmp_path)
            _override_outcome(overridden, lead)
            closed = _new_case(playbook, lead, door, tmp_path)
            case_decide(case=closed, actor=lead, at=AT)
            _close(closed, lead)
            made[playbook, door, "decided"] = decided
            made[playbook, door, "overridden"] = overridden
            made[playbook, door, "closed"] = closed
    return made


def test_every_playbook_is_covered(finished_cases):
    assert {playbook for playbook, _door, _state in finished_cases} == {
        "parking_double_payment",
        "parking_operations",
        "driver_nonride_cancel",
        "ev_charging",
        "traffic_fine",
    }


PROPOSAL_LABEL = "플레이북 제안 (결정 당시)"


@pytest.mark.parametrize("state", STATES)
def test_auditor_reads_the_history_of_finished_cases(finished_cases, auditor, state):
    client = Client()
    client.force_login(auditor)
    proposal_changes = 0
    for (playbook, door, case_state), made in finished_cases.items():
        if case_state != state:
            continue
        case = Case.objects.get(pk=made.pk)
        assert case.status == ("closed" if state == "closed" else "decided"), (playbook, door)
        assert case.proposal, (playbook, door)
        assert case.is_override == (state == "overridden"), (playbook, door)
        url = reverse("audit:case_history", kwargs={"case_id": case.pk})
        response = client.get(url)
        assert response.status_code == 200, (playbook, door, response.status_code)
        text = response.content.decode()
        # Korean labels of the fields the decision changed.
        assert "처리 결과 코드" in text and "상태" in text, (playbook, door)
        entries = response.context["entries"]
        for _entry, (label, old, new) in (
            (entry, change) for entry in entries for change in entry.changes
        ):
            assert isinstance(old, str) and isinstance(new, str), (playbook, door, label)
            if label == PROPOSAL_LABEL:
                proposal_changes += 1
                assert PROPOSAL_LABEL in text
                # The JSON is shown as text (with its Korean content), never as a Python repr.
                assert new.startswith("{") and "'" not in new[:2], (playbook, door)
    # Every imported case's decision changed the JSON proposal: the versions that used to 500.
    assert proposal_changes >= len(PLAYBOOKS)
