"""Personal data: phone numbers and account numbers are masked in every list, page, export and
history view, for every role (leads included: unmasking is a separate, logged act); the full
value appears only through the unmask screens, for the roles holding the unmask permission, and
each time it is logged. Account numbers are encrypted at rest and searched by a keyed hash.

The world's numbers are distinctive (see conftest.SECRETS): a plain substring search of every
response finds a leak wherever it comes from (a column, a form field, a diff, a JSON body...).
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from .conftest import ACCOUNT, CUSTOMER_PHONE, DRIVER_PHONE, SECRETS
from .test_permission_matrix import admin_object, may_model

pytestmark = pytest.mark.django_db

READERS = ("agent", "auditor", "team_lead", "manager")


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def pages_for(role, world, people) -> list[str]:
    """Every admin list, object page, history list and version page the role may open, plus
    the workspace, audit, dashboard screens."""
    urls = []
    for model in admin.site._registry:
        if not (may_model(role, model, "view") or may_model(role, model, "change")):
            continue
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        obj = admin_object(model, world, people)
        urls += [reverse(f"{base}_changelist"), reverse(f"{base}_change", args=[obj.pk])]
        urls.append(reverse(f"{base}_history", args=[obj.pk]))
        if hasattr(model, "history") and getattr(opts, "simple_history_manager_attribute", None):
            for version in model.history.order_by("-history_id")[:3]:
                urls.append(
                    reverse(
                        f"{base}_simple_history", args=[version.instance.pk, version.history_id]
                    )
                )
    urls += [
        reverse("workspace:queue"),
        reverse("workspace:case_list"),
        reverse("workspace:case", kwargs={"case_id": world.case.pk}),
        reverse("workspace:case", kwargs={"case_id": world.notice.case_id}),
        reverse("audit:history"),
        reverse("audit:case_history", kwargs={"case_id": world.case.pk}),
        reverse("audit:case_history", kwargs={"case_id": world.notice.case_id}),
        reverse("dashboard:index"),
        reverse("dashboard:overdue"),
        reverse("admin:fines_finenotice_evidence_review", args=[world.notice.pk]),
        reverse("admin:fines_finenotice_payout", args=[world.notice.pk]),
    ]
    return urls


@pytest.mark.parametrize("role", READERS)
def test_no_page_shows_a_full_phone_or_account_number(role, world, people, client_for):
    client = client_for(people[role])
    pages = pages_for(role, world, people)
    opened, problems = 0, []
    for url in pages:
        response = client.get(url)
        if response.status_code in (403, 404):
            continue  # not this role's page (the permission matrix says which are)
        assert response.status_code == 200, (url, response.status_code)
        opened += 1
        leaks = _leaks(_body(response))
        if leaks:
            problems.append(f"{url}: {leaks}")
    assert not problems, f"{role} sees full numbers:\n" + "\n".join(problems)
    assert opened >= 15, opened


@pytest.mark.parametrize("role", ("agent", "auditor", "team_lead", "integration"))
def test_api_lists_details_and_exports_are_masked(role, world, people):
    from knox.models import AuthToken

    client = APIClient()
    _row, token = AuthToken.objects.create(user=people[role])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    urls = [
        "/api/v1/cases/",
        f"/api/v1/cases/{world.case.pk}/",
        f"/api/v1/cases/{world.notice.case_id}/",
        "/api/v1/cases/export/",
        "/api/v1/cases/export/?file_type=xlsx",
    ]
    read = 0
    for url in urls:
        response = client.get(url)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, (url, response.status_code)
        read += 1
        body = _body(response)
        if "xlsx" in url:
            body = _xlsx_text(body.encode("utf-8", "replace"), response)
        assert not _leaks(body), (role, url, _leaks(body))
    assert read >= (0 if role == "integration" else 3)


def _xlsx_text(_raw, response) -> str:
    import io

    from openpyxl import load_workbook

    data = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    if not data:  # streamed already consumed by _body: fetch again
        return ""
    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    )


def test_xlsx_export_is_masked(world, people):
    client = APIClient()
    client.force_authenticate(people["team_lead"])
    response = client.get("/api/v1/cases/export/", {"file_type": "xlsx"})
    assert response.status_code == 200
    text = _xlsx_text(b"", response)
    assert "5432" in text  # the masked number is there...
    assert not _leaks(text)  # ...never the full one


# --- unmasking: only with the permission, always logged --------------------------------------


def test_unmasking_a_phone_needs_the_permission_and_is_logged(world, people, client_for):
    from cases.models import UnmaskLog

    url = reverse("workspace:case_unmask", kwargs={"case_id": world.case.pk})
    data = {"field": "customer_phone", "reason": "고객 본인 확인"}
    before = UnmaskLog.objects.count()
    for role in ("agent", "auditor", "integration"):
        response = client_for(people[role]).post(url, data)
        assert response.status_code == 403, role
        assert not _leaks(_body(response))
    assert UnmaskLog.objects.count() == before
    response = client_for(people["team_lead"]).post(url, data)
    assert CUSTOMER_PHONE in _body(response)
    log = UnmaskLog.objects.order_by("-pk").first()
    assert UnmaskLog.objects.count() == before + 1
    assert (log.by, log.case_id, log.field, log.reason) == (
        people["team_lead"],
        world.case.pk,
        "customer_phone",
        "고객 본인 확인",
    )


def test_revealing_an_account_needs_the_permission_and_is_logged(world, people, client_for):
    from fines.models import AccountUnmaskLog

    url = reverse("admin:fines_finepayout_reveal", args=[world.payout.pk])
    before = AccountUnmaskLog.objects.count()
    for role in ("agent", "auditor"):
        response = client_for(people[role]).post(url, {"reason": "확인"})
        assert response.status_code == 403, role
    assert AccountUnmaskLog.objects.count() == before
    response = client_for(people["manager"]).post(url, {"reason": "입금 오류 확인"})
    assert response.status_code == 200
    assert ACCOUNT.replace("-", "") in _body(response).replace("-", "")
    assert "no-store" in response["Cache-Control"]
    log = AccountUnmaskLog.objects.order_by("-pk").first()
    assert AccountUnmaskLog.objects.count() == before + 1
    assert (log.actor, log.payout_id, log.reason) == (
        people["manager"],
        world.payout.pk,
        "입금 오류 확인",
    )


def test_an_unmasked_export_is_for_leads_and_logs_every_case(world, people):
    from cases.models import UnmaskLog

    agent = APIClient()
    agent.force_authenticate(people["agent"])
    assert (
        agent.get("/api/v1/cases/export/", {"unmask": "true", "unmask_reason": "x"}).status_code
        == 403
    )
    lead = APIClient()
    lead.force_authenticate(people["team_lead"])
    before = UnmaskLog.objects.count()
    response = lead.get("/api/v1/cases/export/", {"unmask": "true", "unmask_reason": "감사 요청"})
    assert response.status_code == 200
    body = _body(response)
    assert "9876" in body  # full numbers, on request, for a lead
    assert UnmaskLog.objects.count() > before


# --- at rest -----------------------------------------------------------------------------------


def test_account_numbers_are_encrypted_at_rest_and_searched_by_hash(world, people, client_for):
    from fines import crypto

    digits = ACCOUNT.replace("-", "")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account, account_hash FROM fines_finepayout WHERE id = %s", [world.payout.pk]
        )
        stored, stored_hash = cursor.fetchone()
        cursor.execute("SELECT account FROM fines_finenotice WHERE id = %s", [world.notice.pk])
        (notice_stored,) = cursor.fetchone()
    for raw in (stored, notice_stored):
        text = raw.decode() if isinstance(raw, bytes | memoryview) else str(raw)
        assert digits not in text and "987654" not in text
    assert stored_hash == crypto.account_hash(digits) and digits not in stored_hash
    # The history tables keep the ciphertext too, never the number.
    with connection.cursor() as cursor:
        cursor.execute("SELECT account FROM fines_historicalfinepayout")
        assert all("987654" not in str(row[0]) for row in cursor.fetchall())
    # A lead finds the payout by the full number (hash equality), sent by POST only (issue 12:
    # never in a URL), and sees it masked; the page never repeats the number.
    client = client_for(people["team_lead"])
    changelist = reverse("admin:fines_finepayout_changelist")
    found = client.post(changelist, {"account_search": "1", "account_number": ACCOUNT})
    assert found.status_code == 302 and not _leaks(found["Location"]), found["Location"]
    body = _body(client.get(found["Location"]))
    assert f"/admin/fines/finepayout/{world.payout.pk}/change/" in body
    assert not _leaks(body), [line for line in body.splitlines() if "987" in line][:5]


def test_phone_numbers_in_the_outbox_are_masked_in_the_admin(world, people, client_for):
    from templates_app.models import OutboundMessage

    message = OutboundMessage.objects.filter(object_id=world.case.pk).first()
    assert message.recipient.endswith(("5432", "4321"))
    for role in ("agent", "auditor", "team_lead"):
        page = client_for(people[role]).get(
            reverse("admin:templates_app_outboundmessage_change", args=[message.pk])
        )
        assert page.status_code == 200
        assert not _leaks(_body(page)), role
    assert DRIVER_PHONE
