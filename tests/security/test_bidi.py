"""Issue 12: Unicode bidi controls and zero-width characters from facts never reach an SMS.

A fact value such as ``"강남역\u202e5432-0000-010"`` reads, on a phone, as another number or
link than the one it holds. Two gates, each tested on its own:

- intake refuses them in any fact, with the field named (single intake and the simulator: the
  playbooks' ``FACTS``, which every door validates with);
- rendering strips them from every value inserted into a template (facts stored before the
  rule, values computed from them, the admin preview).
"""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from templates_app.render import INVISIBLE_CONTROLS, render_sms, strip_invisible_controls

CONTROLS = sorted(INVISIBLE_CONTROLS)
EXPECTED = {
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    "\u200e",
    "\u200f",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
}


def test_the_set_is_the_issues_list():
    assert set(INVISIBLE_CONTROLS) == EXPECTED


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_rendering_strips_every_control_from_values(control):
    rendered = render_sms(
        body="{{ origin }}에서 출발한 {{ received_on }} 호출 건, {{ amount }} 취소",
        variables={"origin": "text", "received_on": "date_md", "amount": "amount"},
        context={
            "origin": f"강남{control}역{control}5432-0000-010",
            "received_on": date(2024, 3, 5),
            "amount": 12300,
        },
    )
    assert not set(rendered.text) & INVISIBLE_CONTROLS
    assert rendered.text.startswith("강남역5432-0000-010에서")
    # The byte count is the text actually sent (no invisible characters counted).
    assert rendered.byte_length == len(rendered.text.encode("cp949"))


def test_stripping_keeps_everything_else():
    text = "홍길동 010-****-1234 https://kakaomobility.example/a?b=1 😀"
    assert strip_invisible_controls(text) == text
    assert strip_invisible_controls("a\u202eb\u200bc\ufeff") == "abc"


@pytest.mark.django_db
def test_a_queued_message_body_holds_no_control(make_user):
    from templates_app import services

    lead = make_user("team_lead")
    template = services.template_create(
        name="보안시험_제어문자",
        audience="customer",
        service="driver",
        body="출발지 {{ origin }} 확인했습니다.",
        variables={"origin": "text"},
        actor=lead,
    )
    services.template_version_approve(version=services.template_draft_version(template), actor=lead)
    message = services.message_queue(
        template_name=template.name,
        recipient="010-0000-1234",
        context={"origin": "강남역\u202e\u2066\u200b"},
        idempotency_key="bidi-1",
        actor=lead,
    )
    assert message.body == "출발지 강남역 확인했습니다."


FACTS = {
    "received_on": "2024-12-02",
    "driver_id": "drv-1",
    "call_id": "700000777",
    "already_cancelled": False,
    "has_open_duplicate": False,
    "meter_distance_km": "0.0",
    "meter_minutes": 1,
    "start_equals_last_point": True,
    "cancel_reason_recorded": False,
    "fare_amount": 15000,
    "called_on": "2024-12-01",
    "origin": "강남역",
    "ob_unreachable": False,
}


def _intake(client, **facts):
    return client.post(
        "/api/v1/cases/",
        {
            "playbook": "driver_nonride_cancel",
            "channel": "chatbot_board",
            "customer": {"phone": "010-0000-1234"},
            "driver": {"id": "drv-1", "phone": "010-0000-5678"},
            "facts": {**FACTS, **facts},
            "references": {"call_id": facts.get("call_id", FACTS["call_id"])},
            "idempotency_key": f"bidi-{facts.get('call_id', FACTS['call_id'])}",
        },
        format="json",
    )


@pytest.fixture
def api(make_user):
    client = APIClient()
    client.force_authenticate(user=make_user("integration"))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("control", ["\u202e", "\u2066", "\u200f", "\u200b", "\ufeff"])
def test_single_intake_refuses_a_control_in_a_fact_naming_the_field(api, control):
    from cases.models import Case

    response = _intake(api, origin=f"강남역{control}")
    assert response.status_code == 400, response.content
    body = response.json()
    text = str(body)
    assert "origin" in text and f"U+{ord(control):04X}" in text
    assert "보이지 않는 제어 문자" in text
    assert not Case.objects.filter(idempotency_key="bidi-700000777").exists()
    # ...and the same facts without it are filed.
    assert _intake(api).status_code == 201


@pytest.mark.django_db
def test_the_simulator_refuses_it_too(api):
    response = api.post(
        "/api/v1/playbooks/driver_nonride_cancel/evaluate/",
        {"facts": {**FACTS, "origin": "강남역\u202e"}, "at": "2024-12-02T10:00:00+09:00"},
        format="json",
    )
    assert response.status_code == 400
    assert "U+202E" in str(response.json())


def test_the_facts_layer_refuses_nested_values_without_recursion():
    from cases.playbooks import get_playbook
    from cases.playbooks._common import invisible_control_errors

    fields = get_playbook("driver_nonride_cancel").FACTS().fields
    nested: object = "x\u200d"
    for _ in range(50_000):
        nested = [nested]
    errors = invisible_control_errors({"origin": nested, "unknown": "\u202e"}, fields)
    assert list(errors) == ["origin"]
    assert "U+200D" in str(errors["origin"][0])
