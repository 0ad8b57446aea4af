"""POST /api/v1/playbooks/{code}/evaluate/: one scenario per playbook branch, bad input, 404."""

from __future__ import annotations

import pytest

from tests.api.scenarios import AT, SCENARIOS, nonride_facts


def evaluate(client, code, facts, at=AT):
    body = {"facts": facts} if at is None else {"facts": facts, "at": at}
    return client.post(f"/api/v1/playbooks/{code}/evaluate/", body, format="json")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_every_branch_of_every_playbook(client_as, reference_data, scenario):
    response = evaluate(client_as("agent"), scenario.playbook, scenario.facts)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["playbook"] == scenario.playbook
    assert body["outcome"] == scenario.outcome, body["reason"]
    assert set(body) == {
        "playbook",
        "version",
        "outcome",
        "reason",
        "steps",
        "messages",
        "memo",
        "route",
        "figures",
    }
    assert body["steps"] and all({"code", "label", "roles"} <= set(s) for s in body["steps"])
    for message in body["messages"]:
        # Every template a playbook names exists, approved, and renders with its values.
        assert message["error"] is None, message
        assert message["body"], message


def test_the_simulator_creates_nothing(client_as, reference_data, django_assert_max_num_queries):
    from cases.models import Case
    from templates_app.models import OutboundMessage

    before = (Case.objects.count(), OutboundMessage.objects.count())
    response = evaluate(client_as("integration"), "driver_nonride_cancel", nonride_facts())
    assert response.status_code == 200
    assert (Case.objects.count(), OutboundMessage.objects.count()) == before


def test_it_is_the_proposal_the_case_pages_show(client_as, staff, reference_data):
    """Same facts, same moment: the simulator and case_propose (the case page) agree."""
    from datetime import datetime

    from cases.api.presenters import proposal_payload
    from cases.services import case_create, case_propose

    facts = nonride_facts(call_id="700000099")
    at = datetime.fromisoformat(AT)
    case = case_create(
        playbook="driver_nonride_cancel",
        facts=facts,
        channel="chatbot_board",
        actor=staff["agent"],
        at=at,
    ).case
    simulated = evaluate(client_as("agent"), "driver_nonride_cancel", facts).json()
    assert simulated == proposal_payload(case_propose(case=case, at=at))


def test_at_defaults_to_now_and_naive_times_are_seoul(client_as, reference_data, monkeypatch):
    from cases.playbooks import parking_double_payment as pdp
    from tests.api.scenarios import double_payment_facts

    seen = []
    real = pdp.propose
    monkeypatch.setattr(
        pdp, "propose", lambda facts, at, env: seen.append(at) or real(facts, at, env)
    )
    client = client_as("agent")
    assert (
        evaluate(client, "parking_double_payment", double_payment_facts(), at=None).status_code
        == 200
    )
    assert (
        evaluate(
            client, "parking_double_payment", double_payment_facts(), at="2024-12-31T23:30:00"
        ).status_code
        == 200
    )
    from django.utils import timezone

    assert abs((seen[0] - timezone.now()).total_seconds()) < 60
    assert seen[1].isoformat() == "2024-12-31T23:30:00+09:00"


def test_campaign_window_changes_the_messages(client_as, reference_data):
    """Seed 000: the coupon is offered only inside the campaign (Seoul days)."""
    from tests.api.scenarios import double_payment_facts

    facts = double_payment_facts(channel="chatbot_board")
    inside = evaluate(
        client_as("agent"), "parking_double_payment", facts, at="2024-12-31T23:59:00+09:00"
    )
    after = evaluate(
        client_as("agent"), "parking_double_payment", facts, at="2025-01-01T00:01:00+09:00"
    )
    templates_inside = {m["template"] for m in inside.json()["messages"]}
    templates_after = {m["template"] for m in after.json()["messages"]}
    assert any("쿠폰" in name for name in templates_inside)
    assert not any("쿠폰" in name for name in templates_after)


def test_bad_facts_are_field_errors_in_korean(client_as, reference_data):
    facts = nonride_facts(call_id="12ab", meter_minutes="many", received_on="yesterday")
    response = evaluate(client_as("agent"), "driver_nonride_cancel", facts)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "입력값을 확인해 주세요."
    assert body["errors"]["facts.call_id"] == ["콜 ID: 숫자만 입력해 주세요."]
    assert "facts.meter_minutes" in body["errors"]
    assert "facts.received_on" in body["errors"]


def test_missing_required_facts(client_as, reference_data):
    response = evaluate(client_as("agent"), "ev_charging", {"case_type": "paid_not_charged"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["facts.station_name"] == ["충전소명: 필수 항목입니다."]


def test_unknown_facts_and_unknown_top_level_fields_are_refused(client_as, reference_data):
    client = client_as("agent")
    response = evaluate(client, "driver_nonride_cancel", nonride_facts(meter_km="0.0"))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["facts.meter_km"]

    response = client.post(
        "/api/v1/playbooks/driver_nonride_cancel/evaluate/",
        {"facts": nonride_facts(), "at": AT, "dry_run": True},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"dry_run": ["알 수 없는 항목입니다."]}


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"facts": []}, "facts"),
        ({"facts": "call_id=1"}, "facts"),
        ({}, "facts"),
        ({"facts": {}, "at": "tomorrow"}, "at"),
    ],
)
def test_wrong_envelope_types(client_as, reference_data, payload, field):
    response = client_as("agent").post(
        "/api/v1/playbooks/ev_charging/evaluate/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_body_that_is_not_an_object(client_as, reference_data):
    response = client_as("agent").post(
        "/api/v1/playbooks/ev_charging/evaluate/", [1, 2], format="json"
    )
    assert response.status_code == 400
    assert "JSON 객체" in response.json()["errors"]["non_field_errors"][0]


def test_unknown_playbook_is_404(client_as, reference_data):
    response = evaluate(client_as("agent"), "no_such_playbook", {})
    assert response.status_code == 404
    assert response.json() == {
        "detail": "알 수 없는 플레이북입니다: 'no_such_playbook'",
        "code": "not_found",
    }


def test_malformed_json_is_a_korean_400(client_as, reference_data):
    response = client_as("agent").post(
        "/api/v1/playbooks/ev_charging/evaluate/",
        data='{"facts": {"case_type": "paid_not_charged",}',
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert body["detail"].startswith("JSON 형식이 올바르지 않습니다")


def test_nan_is_not_json(client_as, reference_data):
    response = client_as("agent").post(
        "/api/v1/playbooks/ev_charging/evaluate/",
        data='{"facts": {"amount": NaN}}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_form_bodies_are_415(client_as, reference_data):
    response = client_as("agent").post(
        "/api/v1/playbooks/ev_charging/evaluate/", {"facts": "x"}, format="multipart"
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_oversized_bodies_are_413_before_parsing(client_as, reference_data, settings):
    settings.KMCS_API_MAX_BODY_BYTES = 2048
    facts = nonride_facts(special_note="가" * 3000)
    response = evaluate(client_as("agent"), "driver_nonride_cancel", facts)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "요청 본문이 너무 큽니다: 최대 2,048바이트까지 보낼 수 있습니다.",
        "code": "payload_too_large",
    }


def test_a_chunked_body_without_length_is_measured_too(rf, settings, staff):
    """No Content-Length (chunked upload): the parser still stops at the limit."""
    import io

    from rest_framework.request import Request

    from cases.api.errors import PayloadTooLarge
    from cases.api.parsers import LimitedJSONParser

    settings.KMCS_API_MAX_BODY_BYTES = 100
    request = Request(rf.post("/", data=b"", content_type="application/json"))
    with pytest.raises(PayloadTooLarge):
        LimitedJSONParser().parse(
            io.BytesIO(b'{"a": "' + b"x" * 200 + b'"}'), parser_context={"request": request}
        )
