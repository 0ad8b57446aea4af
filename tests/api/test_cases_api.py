"""Intake (POST /api/v1/cases/), reads (list, detail) and what they show."""

from __future__ import annotations

import pytest

from tests.api.scenarios import fine_facts, nonride_facts

URL = "/api/v1/cases/"


def intake(client, **changes):
    call_id = changes.pop("call_id", "700000001")
    body = {
        "playbook": "driver_nonride_cancel",
        "channel": "chatbot_board",
        "facts": nonride_facts(call_id=call_id),
        "customer": {"phone": "010-0000-1234"},
        "driver": {"id": "drv-0001", "phone": "010-0000-5678"},
        "references": {"call_id": call_id},
        "idempotency_key": f"chatbot-{call_id}",
    }
    body.update(changes)
    return client.post(URL, body, format="json")


def test_intake_creates_the_case_and_returns_its_proposal(client_as, reference_data):
    from cases.models import Case

    response = intake(client_as("integration"))

    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert case.idempotency_key == "chatbot-700000001"
    assert case.call_id == "700000001" and case.business_key == "700000001"
    assert body["created"] is True
    assert body["status"] == "new"
    assert body["customer_phone"] == "010-****-1234"
    assert body["driver_phone"] == "010-****-5678"
    assert body["proposal"]["outcome"] == "approved"
    assert {m["template"] for m in body["proposal"]["messages"]} == {
        "대리기사_챗봇게시판_기사미운행건결제취소(승인)",
        "대리_챗봇게시판_기사미운행건결제취소(승인)",
    }
    assert body["proposal_error"] is None
    assert body["messages"] == []  # nothing is sent before someone decides


def test_the_same_idempotency_key_returns_the_same_case(client_as, reference_data):
    from cases.models import Case

    client = client_as("integration")
    first = intake(client)
    again = intake(client)

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["created"] is False
    assert Case.objects.count() == 1


def test_a_second_board_post_for_a_call_in_progress_is_its_own_case(client_as, reference_data):
    """Seed 002 5. 반려 (중복 접수): "상황: 이미 처리 진행 중인 동일 문의가 있는 경우" is answered
    (처리결과 반려 (중복 접수), its SMS), not folded: a new case linked to the first."""
    from cases.models import Case

    client = client_as("integration")
    first = intake(client).json()
    response = intake(client, idempotency_key="chatbot-second-message")

    assert response.status_code == 201, response.json()
    second = Case.objects.get(pk=response.json()["id"])
    assert second.duplicate_of_id == first["id"]
    assert second.proposal["outcome"] == "rejected_duplicate"


def test_an_open_case_with_the_same_business_reference_is_409(client_as, reference_data):
    """Playbooks whose seed has no duplicate answer fold a second inquiry: 409 (here an EV
    session's TID)."""
    from cases.models import Case
    from tests.api.scenarios import ev_facts

    client = client_as("integration")

    def post(key):
        return client.post(
            URL,
            {
                "playbook": "ev_charging",
                "channel": "chat",
                "facts": ev_facts(),
                "customer": {"phone": "010-0000-1234"},
                "references": {"charge_tid": "TID-0001"},
                "idempotency_key": key,
            },
            format="json",
        )

    first = post("ev-first").json()
    response = post("ev-second")

    assert response.status_code == 409, response.json()
    assert response.json() == {
        "detail": f"같은 건으로 처리 중인 케이스가 이미 있습니다 (케이스 #{first['id']}).",
        "code": "duplicate_open_case",
        "case_id": first["id"],
    }
    assert Case.objects.count() == 1


def test_a_decided_case_no_longer_blocks_a_new_inquiry(client_as, staff, reference_data):
    from cases.models import Case
    from cases.services import case_decide

    client = client_as("integration")
    first = Case.objects.get(pk=intake(client).json()["id"])
    case_decide(case=first, actor=staff["team_lead"])

    response = intake(client, idempotency_key="chatbot-after-decision")
    assert response.status_code == 201
    assert response.json()["id"] != first.pk


def test_someone_elses_idempotency_key_reveals_nothing(client_as, make_user, reference_data):
    from rest_framework.test import APIClient

    intake(client_as("integration"))
    other = APIClient()
    other.force_authenticate(make_user("integration", username="other_bot"))
    response = intake(other)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_conflict"
    assert "id" not in response.json()


def test_unknown_facts_are_refused_and_nothing_is_created(client_as, reference_data):
    from cases.models import Case

    facts = nonride_facts(call_id="700000001", meter_km="0.0")
    response = intake(client_as("integration"), facts=facts)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "facts.meter_km": ["알 수 없는 항목입니다: 이 플레이북의 사실관계에 없는 필드입니다."]
    }
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"source": "chatbot"}, "source"),
        ({"channel": "fax"}, "channel"),
        ({"playbook": "unknown"}, "playbook"),
        ({"customer": {"phone": "02-123"}}, "customer.phone"),
        ({"customer": {"phone": "010-0000-1234", "name": "x"}}, "customer.name"),
        ({"references": {"order_id": "1"}}, "references.order_id"),
        ({"facts": {"call_id": "abc"}}, "facts.call_id"),
        ({"idempotency_key": "k" * 101}, "idempotency_key"),
    ],
)
def test_bad_intake_requests_name_the_field(client_as, reference_data, changes, field):
    from cases.models import Case

    response = intake(client_as("integration"), **changes)

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert Case.objects.count() == 0


def test_fact_errors_from_the_service_are_named_like_the_request(client_as, reference_data):
    """A phone that passes the shape check but not the service's is customer.phone."""
    response = intake(client_as("integration"), customer={"phone": "010-12"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["customer.phone"]


def test_write_only_facts_never_reach_the_stored_case(client_as, reference_data):
    from cases.models import Case

    body = {
        "playbook": "traffic_fine",
        "channel": "app_board",
        "facts": fine_facts(),
        "references": {"call_id": "800000001"},
        "customer": {"phone": "010-0000-1234"},
    }
    response = client_as("integration").post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    stored = Case.objects.get(pk=response.json()["id"]).facts
    assert "account_number" not in stored
    assert "110123456789" not in str(stored)


# --- reads ----------------------------------------------------------------------------------


def test_detail_shows_status_outcome_and_masked_messages(client_as, staff, make_case):
    from cases.services import case_decide

    case = make_case()
    case_decide(case=case, actor=staff["team_lead"])

    response = client_as("auditor").get(f"{URL}{case.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["outcome"], body["result_type"]) == (
        "decided",
        "approved",
        "approved",
    )
    assert [(m["template"], m["status"]) for m in body["messages"]] == [
        # Drafted at the decision, sent at their step (issue 13.4).
        ("대리기사_챗봇게시판_기사미운행건결제취소(승인)", "planned"),
        ("대리_챗봇게시판_기사미운행건결제취소(승인)", "planned"),
    ]
    customer = body["messages"][1]
    assert customer["recipient"] == "010-****-1234"
    assert "테헤란로" not in customer["body"]  # the origin (a place) is masked...
    assert "서*" in customer["body"]
    assert "15,000원" in customer["body"]  # ...the amount and the template's words are not
    assert "결제가 취소되었어요" in customer["body"]
    assert "facts" not in body


def test_an_agent_sees_neither_someone_elses_case_nor_its_existence(
    client_as, staff, make_user, make_case
):
    other = make_user("agent", username="other_agent")
    case = make_case(assignee=other, actor=staff["team_lead"])

    response = client_as("agent").get(f"{URL}{case.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "케이스를 찾을 수 없습니다.", "code": "not_found"}
    listed = client_as("agent").get(URL).json()["results"]
    assert case.pk not in [row["id"] for row in listed]


def test_list_filters(client_as, staff, make_case):
    from cases.services import case_decide

    open_case = make_case(call_id="700000101")
    decided = make_case(call_id="700000102")
    case_decide(case=decided, actor=staff["team_lead"])
    client = client_as("team_lead")

    def ids(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [decided.pk, open_case.pk]
    assert ids(status="decided") == [decided.pk]
    assert ids(status=["new", "decided"]) == [decided.pk, open_case.pk]
    assert ids(call_id="700000101") == [open_case.pk]
    assert ids(outcome="approved") == [decided.pk]
    assert ids(playbook="ev_charging") == []
    assert ids(assignee="none") == [open_case.pk]
    assert ids(assignee="team_lead") == [decided.pk]
    assert ids(customer_phone_last4="1234") == [decided.pk, open_case.pk]
    assert ids(created_after="2024-12-02T10:00:00+09:00") == [decided.pk, open_case.pk]
    assert ids(created_before="2024-12-02T10:00:00+09:00") == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "lost"}, "status"),
        ({"customer_phone_last4": "12"}, "customer_phone_last4"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"page_size": "0"}, "page_size"),
        ({"sort": "id"}, "sort"),
    ],
)
def test_bad_list_parameters_are_400(client_as, reference_data, params, field):
    response = client_as("team_lead").get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_cursor_pagination_walks_every_case_once(client_as, make_case):
    made = [make_case(call_id=str(700000200 + i)).pk for i in range(5)]
    client = client_as("manager")
    seen, url = [], f"{URL}?page_size=2"
    while url:
        body = client.get(url).json()
        assert "count" not in body  # a cursor never counts the whole table
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == sorted(made, reverse=True)


def test_a_bad_cursor_is_a_400_not_a_500(client_as, reference_data):
    response = client_as("manager").get(URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"cursor": ["페이지 커서가 올바르지 않습니다."]}


@pytest.mark.parametrize("role", ["team_lead", "agent"])
def test_the_list_costs_the_same_queries_for_10_and_200_cases(
    client_as, make_case, django_assert_max_num_queries, role
):
    client = client_as(role)
    for i in range(10):
        make_case(call_id=str(710000000 + i))
    client.get(URL)  # warm the user's cached roles/services the way every request starts
    with django_assert_max_num_queries(4) as small:
        assert len(client.get(URL, {"page_size": 200}).json()["results"]) == 10
    for i in range(190):
        make_case(call_id=str(720000000 + i))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(URL, {"page_size": 200}).json()["results"]) == 200


def test_the_detail_costs_a_fixed_number_of_queries(
    client_as, staff, make_case, django_assert_max_num_queries
):
    from cases.services import case_decide

    case = make_case()
    case_decide(case=case, actor=staff["team_lead"])
    with django_assert_max_num_queries(6):
        assert client_as("team_lead").get(f"{URL}{case.pk}/").status_code == 200


def test_unknown_api_paths_are_json_404(client_as, reference_data):
    response = client_as("team_lead").get("/api/v1/nothing/here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_a_korean_405(client_as, reference_data):
    response = client_as("team_lead").delete(URL)
    assert response.status_code == 405
    assert response.json() == {
        "detail": "허용되지 않는 메서드입니다: DELETE",
        "code": "method_not_allowed",
    }
