"""The auditor's history: rows across audited models with before/after values, filters
(user, model, date range, object), masking, pagination without COUNT, no edit controls."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kmcs_site.history import audited_models
from tests.workspace.conftest import CUSTOMER_PHONE, DRIVER_PHONE

pytestmark = pytest.mark.django_db

HISTORY = reverse("audit:history")


def test_every_simple_history_model_is_audited_including_routes_templates_and_payouts():
    labels = {m.label for m in audited_models()}
    assert {
        "cases.case",
        "cases.casestep",
        "partners.route",
        "partners.partner",
        "templates_app.smstemplate",
        "templates_app.smstemplateversion",
        "templates_app.outboundmessage",
    } <= labels
    from django.apps import apps

    if apps.is_installed("fines"):
        assert "fines.finepayout" in labels


def test_rows_show_who_what_and_before_after(staff, client_for, make_case):
    from cases.services import case_transition

    case = make_case(assignee=staff.agent)
    case_transition(case=case, transition="start", actor=staff.agent)
    response = client_for(staff.auditor).get(HISTORY, {"model": "cases.case", "object_id": case.pk})
    rows = response.context["rows"]
    assert [r.change_type for r in rows] == ["~", "~", "+"]  # newest first
    start, assign, created = rows
    assert start.user == staff.agent and start.reason == "처리 시작"
    assert [(c.label, c.before, c.after) for c in start.changes if c.field == "status"] == [
        ("상태", "신규 (new)", "처리중 (in_progress)")
    ]
    assert assign.user == staff.lead
    assert [(c.before, c.after) for c in assign.changes if c.field == "assignee"] == [
        ("—", f"agent_a (#{staff.agent.pk})")
    ]
    assert created.user == staff.agent
    assert {"플레이북", "콜 ID"} <= {c.label for c in created.changes}


def test_phones_are_masked_in_history(
    staff, client_for, make_case, django_capture_on_commit_callbacks
):
    from cases.services import case_decide

    case = make_case(assignee=staff.agent)
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=case, actor=staff.agent)
    client = client_for(staff.auditor)
    for params in ({}, {"model": "cases.case"}, {"model": "templates_app.outboundmessage"}):
        html = client.get(HISTORY, params).content.decode()
        for phone in (CUSTOMER_PHONE, DRIVER_PHONE):
            digits = phone.replace("-", "")
            assert phone not in html and digits not in html, params
        assert "010-****-1234" in html or "010-****-5678" in html, params
    from cases.services import case_record_update

    case_record_update(case=case, actor=staff.agent, customer_phone="010-0000-4321")
    for url, params in (
        (reverse("audit:case_history", kwargs={"case_id": case.pk}), {}),
        (HISTORY, {"model": "cases.case", "object_id": case.pk}),
    ):
        html = client.get(url, params).content.decode()
        assert "010-****-1234" in html and "010-****-4321" in html, url
        assert "4321" not in html.replace("010-****-4321", ""), url


def test_filter_by_user_and_model(staff, client_for, make_case):
    make_case(assignee=staff.agent)  # created by agent_a, assigned by the lead
    client = client_for(staff.auditor)
    rows = client.get(HISTORY, {"user": staff.lead.pk, "model": "cases.case"}).context["rows"]
    assert rows and {r.user for r in rows} == {staff.lead}
    assert {r.model_label for r in rows} == {"cases.case"}
    rows = client.get(HISTORY, {"model": "cases.staffprofile"}).context["rows"]
    assert {r.model_label for r in rows} == {"cases.staffprofile"} and len(rows) == 3


def test_filter_by_date_range(staff, client_for, make_case):
    make_case()
    client = client_for(staff.auditor)
    today = timezone.localdate()
    rows = client.get(HISTORY, {"start": today, "end": today}).context["rows"]
    assert rows and all(timezone.localtime(r.at).date() == today for r in rows)
    tomorrow = today + timedelta(days=1)
    assert not client.get(HISTORY, {"start": tomorrow}).context["rows"]
    yesterday = today - timedelta(days=1)
    assert not client.get(HISTORY, {"end": yesterday}).context["rows"]


def test_end_before_start_is_a_korean_error(staff, client_for, make_case):
    make_case()
    today = timezone.localdate()
    response = client_for(staff.auditor).get(
        HISTORY, {"start": today, "end": today - timedelta(days=1)}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["end"] == ["종료일은 시작일보다 빠를 수 없습니다."]
    assert "종료일은 시작일보다 빠를 수 없습니다." in response.content.decode()
    assert not response.context["rows"]


def test_object_without_model_and_bad_values_are_korean_errors(staff, client_for):
    client = client_for(staff.auditor)
    errors = client.get(HISTORY, {"object_id": 3}).context["form"].errors
    assert errors["object_id"] == ["대상 ID로 찾으려면 대상 종류를 먼저 선택해 주세요."]
    errors = client.get(HISTORY, {"model": "auth.user", "start": "어제"}).context["form"].errors
    assert errors["model"] == ["선택할 수 없는 대상 종류입니다."]
    assert errors["start"] == ["날짜를 YYYY-MM-DD 형식으로 입력해 주세요."]


def test_pages_without_count(staff, client_for, make_case):
    for _ in range(3):
        make_case()
    client = client_for(staff.auditor)
    first = client.get(HISTORY, {"model": "cases.case"})
    assert first.context["page"].has_next is False and len(first.context["rows"]) == 3

    from cases.views import auditor

    auditor.HistoryView.per_page = 2
    try:
        page1 = client.get(HISTORY, {"model": "cases.case"}).context
        page2 = client.get(HISTORY, {"model": "cases.case", "page": 2}).context
    finally:
        auditor.HistoryView.per_page = 50
    assert page1["page"].has_next and not page2["page"].has_next
    seen = [r.history_id for r in page1["rows"]] + [r.history_id for r in page2["rows"]]
    assert len(set(seen)) == 3


def test_history_has_no_edit_controls(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    client = client_for(staff.auditor)
    logout = reverse("logout")
    for url in (HISTORY, reverse("audit:case_history", kwargs={"case_id": case.pk})):
        html = client.get(url).content.decode()
        post_forms = re.findall(r'<form[^>]*method="post"[^>]*>', html, flags=re.I)
        assert all(f'action="{logout}"' in form for form in post_forms), post_forms
        assert "/work/" not in html  # no link into the workspace (write screens)
        assert "/admin/" not in html


def test_unmasking_shows_in_the_case_history(staff, client_for, make_case):
    from cases.services import case_phone_unmask

    case = make_case(assignee=staff.agent)
    case_phone_unmask(case=case, actor=staff.lead, reason="고객 재통화")
    html = (
        client_for(staff.auditor)
        .get(reverse("audit:case_history", kwargs={"case_id": case.pk}))
        .content.decode()
    )
    assert "전화번호 조회" in html and "고객 재통화" in html


def test_htmx_asks_for_the_table_alone(staff, client_for, make_case):
    make_case()
    response = client_for(staff.auditor).get(HISTORY, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="history-table">') and "<html" not in html


# --- masking rules, without the database --------------------------------------------------


def test_display_value_masks_personal_data():
    from kmcs_site.history import HIDDEN, display_value, mask_text

    assert display_value(None, "customer_phone", "01000001234") == "010-****-1234"
    assert display_value(None, "recipient", "010-0000-5678") == "010-****-5678"
    assert display_value(None, "account", "110123456789") == HIDDEN
    assert display_value(None, "account_hash", "ab" * 32) == HIDDEN
    body = "기사님 010-0000-5678 로 연락 주세요. 콜 ID 123456789012"
    assert mask_text(body) == "기사님 010-****-5678 로 연락 주세요. 콜 ID 123456789012"
    facts = {"driver_phone": "01000005678", "account_number": "110123456789", "call_id": "31337"}
    shown = display_value(None, "facts", facts)
    assert "01000005678" not in shown and "110123456789" not in shown and "31337" in shown


def test_sealed_values_are_never_shown():
    from kmcs_site.history import HIDDEN, display_value

    class Sealed:  # the shape of fines.fields.Sealed
        def __str__(self):
            return "(암호화됨)"

    assert display_value(None, "secret_field", Sealed()) == HIDDEN


def test_pages_across_every_audited_model_follow_one_newest_first_order(staff, make_case):
    """Each table gives only its newest offset+limit keys before the union is sorted (on
    PostgreSQL): the pages must still be exactly the slices of the one global order."""
    from kmcs_site.history import HistoryFilters, history_page_keys

    for i in range(4):
        make_case(assignee=staff.agent if i % 2 else None)
    everything = history_page_keys(filters=HistoryFilters(), offset=0, limit=10_000)
    assert len({key[1] for key in everything}) >= 3  # several audited models interleave
    expected = sorted(everything, key=lambda k: (k[0], k[1], k[2]), reverse=True)
    assert everything == expected
    for size in (1, 3, 7):
        pages = [
            history_page_keys(filters=HistoryFilters(), offset=offset, limit=size)
            for offset in range(0, len(everything), size)
        ]
        assert [key for page in pages for key in page] == everything
