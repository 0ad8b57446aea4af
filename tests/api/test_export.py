"""GET /api/v1/cases/export/: CSV and XLSX, masked unless unmasked (and then logged)."""

from __future__ import annotations

import csv
import io

import pytest

URL = "/api/v1/cases/export/"


def csv_rows(response) -> list[list[str]]:
    data = b"".join(response.streaming_content).decode("utf-8")
    assert data.startswith("\ufeff")  # Excel reads the BOM as "UTF-8"
    return list(csv.reader(io.StringIO(data[1:])))


def test_csv_export_masks_phones(client_as, make_case):
    from cases.models import UnmaskLog

    case = make_case(customer_phone="010-0000-1234")
    response = client_as("team_lead").get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    header, row = csv_rows(response)
    record = dict(zip(header, row, strict=True))
    assert record["케이스 ID"] == str(case.pk)
    assert record["고객 전화번호"] == "010-****-1234"
    assert record["기사 전화번호"] == "010-****-5678"
    assert record["콜 ID"] == case.call_id
    assert not UnmaskLog.objects.exists()


def test_unmasked_export_is_logged_per_case(client_as, staff, make_case):
    from cases.models import UnmaskLog

    first, second = make_case(), make_case(driver_phone="")
    response = client_as("manager").get(
        URL, {"unmask": "true", "unmask_reason": "환불 대상자 확인"}
    )

    rows = csv_rows(response)[1:]
    assert {row[11] for row in rows} == {"010-0000-1234"}
    logs = UnmaskLog.objects.order_by("case_id", "field")
    assert [(log.case_id, log.field) for log in logs] == [
        (first.pk, "customer_phone"),
        (first.pk, "driver_phone"),
        (second.pk, "customer_phone"),
    ]
    assert {log.by_id for log in logs} == {staff["manager"].pk}
    assert {log.reason for log in logs} == {"내보내기: 환불 대상자 확인"}


def test_unmasking_needs_a_reason(client_as, make_case):
    make_case()
    response = client_as("manager").get(URL, {"unmask": "true"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "unmask_reason": ["전화번호 전체를 내보내려면 조회 사유를 입력해 주세요."]
    }


def test_unmasking_needs_the_unmask_permission(client_as, make_case, monkeypatch):
    from kmcs_site import permissions
    from kmcs_site.permissions import Role

    make_case()
    monkeypatch.setitem(permissions.ACTIONS, "cases.case.unmask", frozenset({Role.MANAGER}))
    response = client_as("team_lead").get(URL, {"unmask": "true", "unmask_reason": "확인"})
    assert response.status_code == 403
    assert response.json()["detail"] == "전화번호 전체를 내보낼 권한이 없습니다."
    assert client_as("team_lead").get(URL).status_code == 200  # masked export is still fine


def test_export_uses_the_list_filters(client_as, make_case):
    wanted = make_case(call_id="700000301")
    make_case(call_id="700000302")
    rows = csv_rows(client_as("deputy_lead").get(URL, {"call_id": "700000301"}))
    assert [row[0] for row in rows[1:]] == [str(wanted.pk)]


def test_xlsx_export(client_as, make_case):
    from openpyxl import load_workbook

    case = make_case()
    response = client_as("team_lead").get(URL, {"file_type": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook["케이스"].iter_rows(values_only=True))
    assert rows[0][0] == "케이스 ID"
    assert rows[1][0] == case.pk
    assert rows[1][11] == "010-****-1234"


def test_formulas_never_run_in_a_spreadsheet(client_as, staff, reference_data):
    """A reference a customer typed ('=HYPERLINK(...)') is text in CSV and in XLSX."""
    from openpyxl import load_workbook

    from cases.services import case_create
    from tests.api.scenarios import ev_facts

    case_create(
        playbook="ev_charging",
        facts=ev_facts(),
        channel="chat",
        actor=staff["agent"],
        references={"station": '=HYPERLINK("http://example.invalid")', "charge_tid": "TID-9"},
    )
    rows = csv_rows(client_as("team_lead").get(URL))
    assert rows[1][16] == '\'=HYPERLINK("http://example.invalid")'

    response = client_as("team_lead").get(URL, {"file_type": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cell = workbook["케이스"].cell(row=2, column=17)
    assert cell.data_type == "s"


def test_too_many_rows_are_refused(client_as, make_case, settings):
    settings.KMCS_EXPORT_MAX_ROWS = 1
    make_case()
    make_case()
    response = client_as("team_lead").get(URL)
    assert response.status_code == 400
    assert "1건을 넘습니다" in response.json()["errors"]["non_field_errors"][0]


@pytest.mark.parametrize("accept", ["text/csv", "application/json", "*/*"])
def test_errors_are_json_whatever_the_client_accepts(client_as, reference_data, accept):
    response = client_as("team_lead").get(URL, {"file_type": "pdf"}, HTTP_ACCEPT=accept)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "file_type" in response.json()["errors"]


def test_export_query_count_does_not_grow_with_rows(
    client_as, make_case, django_assert_max_num_queries
):
    for _ in range(3):
        make_case()
    client = client_as("team_lead")
    with django_assert_max_num_queries(6) as few:
        csv_rows(client.get(URL))
    for _ in range(20):
        make_case()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(csv_rows(client.get(URL))) == 24
