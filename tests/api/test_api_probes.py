"""Issue 12, API and import probes that broke the landed product (each failed before its fix):
deeply nested JSON, an idempotency key reused with another body or raced by four requests,
body limits, a CP949 file whose first MiB is ASCII, throttling."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from tests.api.scenarios import nonride_facts

EVALUATE = "/api/v1/playbooks/driver_nonride_cancel/evaluate/"
INTAKE = "/api/v1/cases/"
BATCH = "/api/v1/cases/batch/"


def intake_body(call_id: str = "700000001", key: str | None = None, **changes) -> dict:
    body = {
        "playbook": "driver_nonride_cancel",
        "channel": "chatbot_board",
        "facts": nonride_facts(call_id=call_id),
        "customer": {"phone": "010-0000-1234"},
        "driver": {"id": "drv-0001", "phone": "010-0000-5678"},
        "references": {"call_id": call_id},
        "idempotency_key": key or f"chatbot-{call_id}",
    }
    body.update(changes)
    return body


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- 1. deeply nested JSON ----------------------------------------------------------------------


@pytest.mark.parametrize("url", [EVALUATE, INTAKE, BATCH], ids=["evaluate", "intake", "batch"])
@pytest.mark.parametrize("depth", [100_000, 500], ids=["100k", "500"])
def test_deeply_nested_json_is_a_400_not_a_500(client_as, reference_data, url, depth):
    from cases.models import Case

    inner = nested(depth)
    if depth == 100_000:
        body = "[" * depth  # the probe: unterminated, 100k levels
    elif url == BATCH:
        body = json.dumps({"cases": [intake_body()]})[:-3] + f', "x": {inner}}}]}}'
    else:
        body = json.dumps({"facts": nonride_facts()})[:-2] + f', "x": {inner}}}}}'
    response = client_as("integration").post(url, body, content_type="application/json")

    assert response.status_code == 400, response.content[:200]
    answer = response.json()
    assert answer["code"] == "parse_error"
    assert "중첩" in answer["detail"]
    assert not Case.objects.exists()


def run_import(path, user) -> str:
    out = io.StringIO()
    call_command(
        "import_cases", str(path), as_user=user.username, stdout=out, progress=False, workers=0
    )
    return out.getvalue()


def import_request(call_id: str) -> dict:
    body = intake_body(call_id, key=f"board-{call_id}")
    body.pop("customer")
    return body


def test_a_nested_jsonl_line_rejects_that_row_only(tmp_path, staff, reference_data):
    from cases.models import Case

    source = tmp_path / "board.jsonl"
    lines = [json.dumps(import_request("900000101"), ensure_ascii=False)]
    lines.append("[" * 100_000)
    lines.append(json.dumps({**import_request("900000102"), "facts": json.loads(nested(200))}))
    lines.append(json.dumps(import_request("900000103"), ensure_ascii=False))
    source.write_text("\n".join(lines) + "\n", "utf-8")

    with pytest.raises(CommandError, match="2행을 가져오지 못했습니다"):
        run_import(source, staff["integration"])

    assert sorted(Case.objects.values_list("call_id", flat=True)) == ["900000101", "900000103"]
    rejects = [
        json.loads(line)
        for line in (tmp_path / "board.rejects.jsonl").read_text("utf-8").splitlines()
    ]
    assert [r["_line"] for r in rejects] == [2, 3]
    assert all("중첩" in r["_reason"] for r in rejects)


def test_a_nested_csv_facts_cell_rejects_that_row_only(tmp_path, staff, reference_data):
    from cases.models import Case

    source = tmp_path / "board.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["playbook", "channel", "idempotency_key", "call_id", "facts"])
    for call_id, facts in [
        ("900000201", json.dumps(nonride_facts(call_id="900000201"), ensure_ascii=False)),
        ("900000202", "[" * 100_000),
        ("900000203", json.dumps(nonride_facts(call_id="900000203"), ensure_ascii=False)),
    ]:
        writer.writerow(["driver_nonride_cancel", "chatbot_board", f"k-{call_id}", call_id, facts])
    source.write_text(buffer.getvalue(), "utf-8")
    csv.field_size_limit(200_000)

    with pytest.raises(CommandError, match="1행을 가져오지 못했습니다"):
        run_import(source, staff["integration"])

    assert sorted(Case.objects.values_list("call_id", flat=True)) == ["900000201", "900000203"]
    rows = list(csv.reader(io.StringIO((tmp_path / "board.rejects.csv").read_text("utf-8-sig"))))
    assert [row[-2] for row in rows[1:]] == ["3"]
    assert "중첩" in rows[1][-1]


# --- 2. idempotency keys ------------------------------------------------------------------------


def test_the_same_key_with_another_body_is_a_422_naming_the_key(client_as, reference_data):
    from cases.models import Case

    client = client_as("integration")
    first = client.post(INTAKE, intake_body(key="chatbot-key-1"), format="json")
    assert first.status_code == 201

    same = client.post(INTAKE, intake_body(key="chatbot-key-1"), format="json")
    assert same.status_code == 200
    assert same.json()["id"] == first.json()["id"]

    other = intake_body(key="chatbot-key-1", customer={"phone": "010-0000-4321"})
    response = client.post(INTAKE, other, format="json")
    assert response.status_code == 422, response.json()
    answer = response.json()
    assert answer["code"] == "idempotency_key_reused"
    assert "chatbot-key-1" in answer["detail"]
    assert answer["case_id"] == first.json()["id"]

    facts = intake_body(
        "700000002", key="chatbot-key-1", references={"call_id": "700000002"}
    )  # another call under the same key
    assert client.post(INTAKE, facts, format="json").status_code == 422
    assert Case.objects.count() == 1


def test_an_edited_case_still_answers_the_retry_of_its_own_request(client_as, reference_data):
    """The request is compared with what was filed (the case's first history row), so a case
    that agents have worked since still answers 200 to a retry of the same request."""
    from cases.models import Case

    client = client_as("integration")
    first = client.post(INTAKE, intake_body(), format="json")
    case = Case.objects.get(pk=first.json()["id"])
    case.operations_memo = "고객 통화 완료"
    case.customer_phone = "010-0000-9999"
    case.save()

    again = client.post(INTAKE, intake_body(), format="json")
    assert again.status_code == 200, again.json()
    assert again.json()["id"] == case.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_concurrent_requests_with_one_key_get_the_same_case(staff):
    """Four requests with the same key at the same instant: the key wins over the duplicate
    guard (never a 409 pointing at the caller's own case)."""
    from rest_framework.test import APIClient

    from cases.models import Case

    call_command("kmcs_bootstrap", stdout=io.StringIO())
    for round_number in range(5):
        call_id = str(700_100_000 + round_number)
        barrier = threading.Barrier(4)
        answers: list = [None] * 4

        def submit(index, call_id=call_id, barrier=barrier, answers=answers):
            try:
                client = APIClient()
                client.force_authenticate(user=staff["integration"])
                barrier.wait(timeout=30)
                answers[index] = client.post(INTAKE, intake_body(call_id), format="json")
            except Exception as exc:  # reported below
                answers[index] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=submit, args=(i,), daemon=True) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        statuses = sorted(getattr(a, "status_code", a) for a in answers)
        assert statuses == [200, 200, 200, 201], [getattr(a, "content", a) for a in answers]
        case = Case.objects.get(call_id=call_id)
        assert {a.json()["id"] for a in answers} == {case.pk}


# --- 3. body limits -----------------------------------------------------------------------------


def test_a_batch_under_its_documented_limit_is_read(client_as, reference_data):
    limit = settings.KMCS_API_MAX_BATCH_BODY_BYTES
    assert limit == 4 * 1024 * 1024
    pad = "x" * 6000
    items = [{**intake_body(str(731_000_000 + i)), "note": pad} for i in range(500)]
    body = json.dumps({"cases": items})
    assert 2_621_440 < len(body) < limit  # over Django's default 2.5 MB, under ours

    response = client_as("integration").post(BATCH, body, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["counts"] == {"invalid": 500}  # "note" is not a request field


@pytest.mark.parametrize(
    "url, setting",
    [
        (BATCH, "KMCS_API_MAX_BATCH_BODY_BYTES"),
        (INTAKE, "KMCS_API_MAX_BODY_BYTES"),
        (EVALUATE, "KMCS_API_MAX_BODY_BYTES"),
    ],
    ids=["batch", "intake", "evaluate"],
)
@pytest.mark.parametrize("size", [5 * 1024 * 1024, None], ids=["5MB", "limit+1"])
def test_a_body_over_the_limit_is_a_json_413_stating_it(
    client_as, reference_data, url, setting, size
):
    limit = getattr(settings, setting)
    size = size or limit + 1
    body = '{"x": "' + "a" * (size - 9) + '"}'
    assert len(body) == size

    response = client_as("integration").post(url, body, content_type="application/json")
    assert response.status_code == 413, response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "payload_too_large"
    assert f"{limit:,}바이트" in response.json()["detail"]


# --- 4. CP949 after a MiB of ASCII ----------------------------------------------------------------


def test_a_cp949_file_whose_first_mib_is_ascii_imports_its_korean_rows(
    tmp_path, staff, reference_data
):
    from cases.models import Case

    header = ["playbook", "channel", "idempotency_key", "call_id", "facts", "_pad"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    ascii_facts = nonride_facts(origin="Seoul Gangnam-gu")
    for i in range(12):  # 12 x 100 kB of ASCII: the sampled first MiB has no Korean at all
        call_id = str(900_000_300 + i)
        facts = json.dumps({**ascii_facts, "call_id": call_id})
        writer.writerow(
            ["driver_nonride_cancel", "chatbot_board", f"a-{call_id}", call_id, facts, ""]
        )
        writer.writerow(["driver_nonride_cancel", "chatbot_board", "", "", "", "p" * 100_000])
    korean = []
    for i in range(3):
        call_id = str(900_000_400 + i)
        facts = json.dumps(
            nonride_facts(call_id=call_id, origin="부산 해운대구"), ensure_ascii=False
        )
        korean.append(call_id)
        writer.writerow(
            ["driver_nonride_cancel", "chatbot_board", f"k-{call_id}", call_id, facts, ""]
        )
    # and one Korean row that intake refuses: the rejects file must keep its text
    bad = json.dumps(nonride_facts(call_id="90000049X", origin="대구 수성구"), ensure_ascii=False)
    writer.writerow(["driver_nonride_cancel", "chatbot_board", "k-bad", "90000049X", bad, ""])
    data = buffer.getvalue().encode("cp949")
    assert data[: 1 << 20].isascii()
    source = tmp_path / "board.csv"
    source.write_bytes(data)

    with pytest.raises(CommandError) as info:
        run_import(source, staff["integration"])
    assert "13행을 가져오지 못했습니다" in str(info.value)  # 12 padding rows + the bad one

    stored = Case.objects.filter(call_id__in=korean).order_by("call_id")
    assert [c.facts["origin"] for c in stored] == ["부산 해운대구"] * 3
    text = (tmp_path / "board.rejects.csv").read_text("utf-8-sig")
    assert "\ufffd" not in text
    assert "대구 수성구" in text


def test_a_stray_line_in_another_encoding_keeps_its_text_in_the_rejects_file(
    tmp_path, staff, reference_data
):
    good = [json.dumps(import_request(str(900001000 + i)), ensure_ascii=False) for i in range(150)]
    bad = json.dumps(import_request("900000059"), ensure_ascii=False)
    source = tmp_path / "board.jsonl"
    source.write_bytes(
        b"\n".join([good[0].encode(), bad.encode("cp949"), *(g.encode() for g in good[1:])]) + b"\n"
    )
    with pytest.raises(CommandError, match="1행"):
        run_import(source, staff["integration"])
    reject = json.loads((tmp_path / "board.rejects.jsonl").read_text("utf-8"))
    assert reject["_reason"].startswith("인코딩 오류")
    assert "\ufffd" not in reject["_raw"]
    assert reject["_raw"] == bad


# --- 5. throttling ------------------------------------------------------------------------------


@pytest.fixture
def low_rates(settings):
    from django.core.cache import cache

    cache.clear()
    settings.KMCS_API_THROTTLE_RATES = {"api_user": "3/minute", "api_ip": "5/minute"}
    yield
    cache.clear()


def test_each_user_is_throttled_with_a_json_429_and_retry_after(client_as, low_rates, staff):
    agent, lead = client_as("agent"), client_as("team_lead")
    for _ in range(3):
        assert agent.get("/api/v1/playbooks/").status_code == 200
    response = agent.get("/api/v1/playbooks/")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    answer = response.json()
    assert answer["code"] == "throttled"
    assert f"{response['Retry-After']}초" in answer["detail"]
    # another user from the same address still has requests left (the IP allows 5)
    assert lead.get("/api/v1/playbooks/").status_code == 200


def test_each_address_is_throttled_whoever_asks(client_as, low_rates, staff):
    clients = [client_as(role) for role in ("agent", "team_lead", "manager")]
    answers = [c.get("/api/v1/playbooks/").status_code for c in clients * 2]
    assert answers == [200] * 5 + [429]
    # another address is not affected
    other = client_as("auditor").get("/api/v1/playbooks/", REMOTE_ADDR="10.0.0.9")
    assert other.status_code in (200, 403)
    assert other.status_code != 429
    anonymous = client_as(None).get("/api/v1/playbooks/")
    assert anonymous.status_code == 429


def test_default_rates_are_set_and_documented():
    from cases.api.throttles import ApiIpThrottle, ApiUserThrottle

    assert set(settings.KMCS_API_THROTTLE_RATES) == {"api_user", "api_ip"}
    classes = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert f"{ApiUserThrottle.__module__}.{ApiUserThrottle.__name__}" in classes
    assert f"{ApiIpThrottle.__module__}.{ApiIpThrottle.__name__}" in classes
