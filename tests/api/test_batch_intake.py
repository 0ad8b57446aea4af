"""Batch intake (POST /api/v1/cases/batch/): single intake's rules per item, one answer per
item, nothing filed twice, history rows as single intake writes them, and a number of SQL
statements that does not grow with the batch."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.scenarios import ev_facts, nonride_facts

URL = "/api/v1/cases/batch/"


def item(call_id: str, key: str | None = None, **changes) -> dict:
    body = {
        "playbook": "driver_nonride_cancel",
        "channel": "chatbot_board",
        "facts": nonride_facts(call_id=call_id),
        "customer": {"phone": "010-0000-1234"},
        "driver": {"id": "drv-0001", "phone": "010-0000-5678"},
        "references": {"call_id": call_id},
        "idempotency_key": key if key is not None else f"batch-{call_id}",
    }
    body.update(changes)
    return body


def post(client, items):
    return client.post(URL, {"cases": items}, format="json")


def test_good_items_are_filed_and_bad_ones_answered_with_korean_field_errors(
    client_as, staff, reference_data
):
    from cases.models import Case

    items = [
        item("710000001"),
        item("710000002", facts=nonride_facts(call_id="710000002", meter_minutes="many")),
        item("710000003", customer={"phone": "12345"}),
        item("710000004", facts={**nonride_facts(call_id="710000004"), "typo": 1}),
        "not an object",
        item("710000006", playbook="no_such_playbook"),
        {
            "playbook": "ev_charging",
            "channel": "chat",
            "facts": ev_facts(),
            "customer": {"phone": "010-0000-1234"},
            "idempotency_key": "batch-ev-1",
        },
    ]
    response = post(client_as("integration"), items)

    assert response.status_code == 200, response.json()
    body = response.json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == [
        "created",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "created",
    ]
    assert body["counts"] == {"created": 2, "invalid": 5}
    assert "facts.meter_minutes" in results[1]["errors"]
    assert results[2]["errors"] == {"customer.phone": results[2]["errors"]["customer.phone"]}
    assert results[3]["errors"] == {
        "facts.typo": ["알 수 없는 항목입니다: 이 플레이북의 사실관계에 없는 필드입니다."]
    }
    assert "non_field_errors" in results[4]["errors"]
    assert "playbook" in results[5]["errors"]
    for bad in results[1:6]:
        assert bad["case_id"] is None
        assert bad["message"] == "입력값을 확인해 주세요. 이 항목은 접수하지 않았습니다."
        for messages in bad["errors"].values():
            assert all(any("\uac00" <= ch <= "\ud7a3" for ch in m) for m in messages), messages
    assert results[1]["idempotency_key"] == "batch-710000002"

    first, ev = (
        Case.objects.get(pk=results[0]["case_id"]),
        Case.objects.get(pk=results[6]["case_id"]),
    )
    assert Case.objects.count() == 2
    assert first.call_id == "710000001" and first.business_key == "710000001"
    assert first.customer_phone == "01000001234" and first.customer_phone_last4 == "1234"
    assert first.created_by == staff["integration"] and first.status == "new"
    # The proposal intake answers with is stored on the case (issue 6).
    assert results[0]["outcome"] == "approved" == first.proposal["outcome"]
    assert ev.proposal["playbook"] == "ev_charging" and results[6]["outcome"]


def test_the_batch_writes_the_case_single_intake_writes(client_as, staff, reference_data):
    """Field by field, the batch and the single endpoint file the same case."""
    from cases.models import Case

    client = client_as("integration")
    batch = post(client, [item("710000010", key="via-batch")]).json()["results"][0]
    Case.objects.filter(pk=batch["case_id"]).update(status="closed")  # free the business key
    single = client.post("/api/v1/cases/", item("710000010", key="via-single"), format="json")
    assert single.status_code == 201, single.json()

    a, b = Case.objects.get(pk=batch["case_id"]), Case.objects.get(pk=single.json()["id"])
    different = {"id", "idempotency_key", "status", "created_at", "updated_at", "proposal"}
    for field in Case._meta.concrete_fields:
        if field.name not in different:
            assert getattr(a, field.attname) == getattr(b, field.attname), field.name
    assert a.proposal["outcome"] == b.proposal["outcome"] == "approved"


def test_duplicates_inside_the_batch_and_against_open_cases(client_as, staff, make_case):
    from cases.models import Case

    open_case = make_case(call_id="710000020")
    response = post(
        client_as("integration"),
        [
            item("710000020"),  # an open case already has this call
            item("710000021"),
            item("710000021", key="second-inquiry"),  # the same call again, another key
            item("710000022", key="retry-key"),
            item("710000022", key="retry-key"),  # the same request twice: the same case
        ],
    )
    results = response.json()["results"]

    # Seed 002 "5. 반려 (중복 접수)" / "상황: 이미 처리 진행 중인 동일 문의가 있는 경우": a post for
    # a call in progress is its own case, linked to it and answered (not folded).
    assert [r["status"] for r in results] == [
        "created",
        "created",
        "created",
        "created",
        "existing",
    ]
    answered = Case.objects.get(pk=results[0]["case_id"])
    assert answered.duplicate_of == open_case
    assert results[0]["outcome"] == "rejected_duplicate"
    second = Case.objects.get(pk=results[2]["case_id"])
    assert second.duplicate_of_id == results[1]["case_id"]
    assert results[2]["outcome"] == "rejected_duplicate"
    assert results[4]["case_id"] == results[3]["case_id"]
    assert Case.objects.count() == 5


def test_a_repeated_batch_creates_nothing_twice(client_as, staff, reference_data):
    from cases.models import Case

    client = client_as("integration")
    items = [item(str(710000030 + i)) for i in range(5)] + [item("710000030", key="dup")]
    first = post(client, items).json()
    cases, history = Case.objects.count(), Case.history.count()
    again = post(client, items).json()

    # The 6th item repeats a call in progress: seed 002 answers it as its own case (반려 (중복
    # 접수)); a repeated batch gets the same cases back.
    assert first["counts"] == {"created": 6}
    assert again["counts"] == {"existing": 6}
    assert [r["case_id"] for r in again["results"]] == [r["case_id"] for r in first["results"]]
    assert Case.objects.count() == cases == 6
    assert Case.history.count() == history


def test_history_rows_are_written_with_the_acting_user(client_as, staff, reference_data):
    from cases.models import Case
    from cases.services.intake import BATCH_REASON

    results = post(client_as("agent"), [item(str(710000040 + i)) for i in range(3)]).json()
    ids = [r["case_id"] for r in results["results"]]
    rows = Case.history.filter(id__in=ids)
    assert rows.count() == 3
    for row in rows:
        assert row.history_type == "+"
        assert row.history_user == staff["agent"]
        assert row.history_change_reason == BATCH_REASON
        assert row.instance.call_id == Case.objects.get(pk=row.id).call_id


def test_a_key_filed_by_someone_the_caller_cannot_see_is_a_conflict(client_as, staff, make_case):
    from cases.models import Case

    filed = post(client_as("team_lead"), [item("710000050", key="lead-key")]).json()
    case = Case.objects.get(pk=filed["results"][0]["case_id"])
    for body in (
        item("710000050", key="lead-key"),  # the lead's request: still not the caller's case
        item("710000051", key="lead-key"),  # another request: key reused, but whose case?
    ):
        results = post(client_as("integration"), [body]).json()
        assert results["results"][0]["status"] == "conflict"
        assert results["results"][0]["case_id"] is None
        assert f"#{case.pk}" not in str(results)
    # The lead who filed it may see it: a retry.
    again = post(client_as("team_lead"), [item("710000050", key="lead-key")]).json()
    assert again["results"][0] == {**again["results"][0], "status": "existing", "case_id": case.pk}


def test_a_concurrent_insert_of_the_same_call_is_answered_with_the_winner(
    client_as, staff, make_case, monkeypatch
):
    """The check found nothing but the insert meets the partial unique index (another request
    filed the same call in between): the batch falls back to one insert per item, and the item
    that lost is a duplicate of the winner; the others are filed."""
    from cases.intake import importer
    from cases.models import Case

    winner = make_case(call_id="710000060")
    monkeypatch.setattr(importer, "_open_cases", lambda keys: {})  # the race: not seen
    results = post(client_as("integration"), [item("710000060"), item("710000061")]).json()

    assert [r["status"] for r in results["results"]] == ["duplicate", "created"]
    assert results["results"][0]["case_id"] == winner.pk
    assert Case.objects.filter(call_id="710000061").count() == 1
    assert Case.objects.filter(call_id="710000060").count() == 1


def test_the_number_of_statements_does_not_grow_with_the_batch(client_as, staff, reference_data):
    client = client_as("integration")

    def statements(n: int, start: int) -> int:
        items = [item(str(start + i)) for i in range(n)]
        items[-1] = item(str(start), key=f"dup-{start}")  # one in-batch duplicate each time
        with CaptureQueriesContext(connection) as captured:
            body = post(client, items).json()
        # Seed 002 answers the repeated call as its own case (반려 (중복 접수)).
        assert body["counts"] == {"created": n}
        return len(captured)

    statements(2, 719_000_000)  # per-process caches (content types...) filled
    small = statements(3, 720_000_000)
    large = statements(300, 721_000_000)
    assert large == small
    assert large <= 16


def test_a_full_batch_passes_the_body_limit_and_one_more_item_is_refused(
    client_as, staff, reference_data, django_assert_max_num_queries
):
    from cases.models import Case

    limit = settings.KMCS_API_BATCH_MAX_CASES
    client = client_as("integration")
    items = [item(str(730_000_000 + i)) for i in range(limit)]
    with django_assert_max_num_queries(16):
        response = post(client, items)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["counts"] == {"created": limit}
    assert Case.objects.count() == limit

    too_many = post(client, [{}] * (limit + 1))
    assert too_many.status_code == 400
    assert too_many.json()["errors"]["cases"] == [f"한 번에 최대 {limit}건까지 보낼 수 있습니다."]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"cases": []}, "cases"),
        ({"cases": {"playbook": "x"}}, "cases"),
        ({}, "cases"),
        ({"cases": [{}], "extra": 1}, "extra"),
    ],
)
def test_a_bad_envelope_is_a_400_and_files_nothing(client_as, reference_data, body, field):
    from cases.models import Case

    response = client_as("integration").post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert Case.objects.count() == 0


def test_a_key_sent_again_with_another_body_is_refused_for_that_item(
    client_as, staff, reference_data
):
    """Issue 12: single intake answers 422 ``idempotency_key_reused``; the batch answered
    ``existing`` and silently dropped the second submission. Now that item is refused naming
    the key (and the case it filed), nothing is filed for it, the other items are."""
    from cases.models import Case

    client = client_as("integration")
    first = post(client, [item("710000070", key="reuse-1")]).json()["results"][0]
    filed = Case.objects.get(pk=first["case_id"])
    filed.operations_memo = "고객 통화 완료"  # worked since: a true retry still matches
    filed.save()

    response = post(
        client,
        [
            item("710000070", key="reuse-1"),  # the same request again: a retry
            item("710000070", key="reuse-1", customer={"phone": "010-0000-4321"}),
            item("710000071", key="reuse-1", references={"call_id": "710000071"}),
            item("710000072", key="reuse-2"),
            item("710000073", key="reuse-2", references={"call_id": "710000073"}),
            item("710000072", key="reuse-2"),  # the same as item 3: a retry of it
        ],
    )

    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "existing",
        "idempotency_key_reused",
        "idempotency_key_reused",
        "created",
        "idempotency_key_reused",
        "existing",
    ]
    assert response.json()["counts"] == {"existing": 2, "idempotency_key_reused": 3, "created": 1}
    for index, key, case_id in (
        (1, "reuse-1", filed.pk),
        (2, "reuse-1", filed.pk),
        (4, "reuse-2", results[3]["case_id"]),
    ):
        refused = results[index]
        assert refused["idempotency_key"] == key
        assert refused["case_id"] == case_id
        assert f"'{key}'" in refused["message"]
        assert list(refused["errors"]) == ["idempotency_key"]
        assert key in refused["errors"]["idempotency_key"][0]
    assert results[5]["case_id"] == results[3]["case_id"]
    assert not Case.objects.filter(call_id__in=["710000071", "710000073"]).exists()
    assert Case.objects.count() == 2


def test_checking_reused_keys_costs_the_same_whatever_their_number(
    client_as, staff, reference_data
):
    client = client_as("integration")

    def statements(n: int, start: int) -> int:
        items = [item(str(start + i)) for i in range(n)]
        post(client, items)
        changed = [item(str(start + i), customer={"phone": "010-0000-4321"}) for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            body = post(client, changed).json()
        assert body["counts"] == {"idempotency_key_reused": n}
        return len(captured)

    statements(2, 740_000_000)
    assert statements(3, 741_000_000) == statements(60, 742_000_000)
