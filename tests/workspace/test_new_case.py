"""The agent's "new case" form: fields generated from the playbook's FACTS serializer, errors
from the same serializer put back on the fields in Korean, nothing created when they fail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.forms import facts_form_class
from cases.models import Case
from cases.playbooks import PLAYBOOKS
from tests.workspace.conftest import driver_facts

pytestmark = pytest.mark.django_db

URL = reverse("workspace:case_create", kwargs={"playbook": "driver_nonride_cancel"})


def _post_data(**facts_over) -> dict:
    """What a browser posts for these facts: checkboxes "on" or absent, tri-state selects
    "true"/"false"/"", everything else as typed."""
    kinds = {
        s.name: s.kind for s in facts_form_class(PLAYBOOKS["driver_nonride_cancel"]).fact_fields
    }
    data = {"channel": "chatbot_board", "driver_phone": "010-0000-5678"}
    for name, value in driver_facts(**facts_over).items():
        if kinds[name] == "bool":
            if value:
                data[name] = "on"
        elif kinds[name] == "nullbool":
            data[name] = {True: "true", False: "false", None: ""}[value]
        else:
            data[name] = "" if value is None else str(value)
    return data


@pytest.mark.parametrize("code", sorted(PLAYBOOKS))
def test_every_writable_fact_becomes_a_labelled_field(code):
    module = PLAYBOOKS[code]
    form = facts_form_class(module)()
    facts = module.FACTS().fields
    expected = {n for n, f in facts.items() if not f.read_only and n != "channel"}
    assert {s.name for s in form.fact_fields} == expected
    attached = {s.name for s in form.fact_fields if s.kind == "attachment"}
    for name in expected:
        # A "… 첨부 여부" fact is a file field named for the file (issue 14.4).
        label = facts[name].label.removesuffix(" 여부") if name in attached else facts[name].label
        assert form.fields[name].label == label


def test_form_renders_korean_labels_help_and_choices(staff, client_for):
    html = client_for(staff.agent).get(URL).content.decode()
    assert "운행거리(km)" in html and "미터기 운행 상세의 운행거리" in html
    assert '<option value="other">접수유형 외 다른 문의</option>' in html
    assert 'name="idempotency_key"' in html


def test_facts_not_matching_the_schema_are_field_errors_and_no_case(staff, client_for):
    data = _post_data(call_id="12a4", received_on="")
    data["meter_minutes"] = "many"
    data["customer_phone"] = "02-123"
    response = client_for(staff.agent).post(URL, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["call_id"] == ["콜 ID: 숫자만 입력해 주세요."]
    assert form.errors["received_on"] == ["접수일: 필수 항목입니다."]
    assert form.errors["meter_minutes"] == ["운행시간(분): 형식이 올바르지 않습니다."]
    assert "customer_phone" in form.errors
    html = response.content.decode()
    assert "콜 ID: 숫자만 입력해 주세요." in html
    assert not Case.objects.exists()


def test_playbook_rules_in_facts_validate_are_field_errors_too(staff, client_for):
    """An approval needs the amount, call date and origin (the SMS uses them)."""
    response = client_for(staff.agent).post(URL, _post_data(fare_amount=None, origin=""))
    errors = response.context["form"].errors
    assert errors["fare_amount"] == ["결제(취소)금액: 승인(결제취소)과 고객 SMS에 필수 항목입니다."]
    assert errors["origin"] == ["출발지: 승인(결제취소)과 고객 SMS에 필수 항목입니다."]
    assert not Case.objects.exists()


def test_valid_facts_create_the_case_once(staff, client_for):
    client = client_for(staff.agent)
    data = _post_data(call_id="555001")
    data["idempotency_key"] = "workspace:test-1"
    response = client.post(URL, data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:case", kwargs={"case_id": case.pk})
    assert case.facts["call_id"] == "555001" and case.facts["meter_minutes"] == 1
    assert (
        case.facts["start_equals_last_point"] is True and case.facts["already_cancelled"] is False
    )
    assert case.created_by == staff.agent and case.business_key == "555001"
    assert case.driver_phone == "01000005678"
    # A double submit replays the idempotency key: the same case, not a second one.
    client.post(URL, data)
    assert Case.objects.count() == 1


def test_second_post_for_an_open_call_is_its_own_linked_case(staff, client_for, make_case):
    """Seed 002 answers a repeat post (반려 (중복 접수)) instead of folding it (issue 15 B 002):
    the agent's new case opens for them, linked to the open case of the same call."""
    existing = make_case(call_id="555002")
    response = client_for(staff.agent).post(URL, _post_data(call_id="555002"))
    new = Case.objects.exclude(pk=existing.pk).get()
    assert response["Location"] == reverse("workspace:case", kwargs={"case_id": new.pk})
    assert new.duplicate_of_id == existing.pk
    assert Case.objects.count() == 2


def test_unknown_playbook_is_404(staff, client_for):
    url = reverse("workspace:case_create", kwargs={"playbook": "nope"})
    assert client_for(staff.agent).get(url).status_code == 404
