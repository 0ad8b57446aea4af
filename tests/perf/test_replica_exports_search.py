"""Exports and search read the PostgreSQL replica (issue 17.7, round 3).

Against a real streaming standby (``.ci/replica start``; skipped without
``DATABASE_REPLICA_URL``): with WAL replay paused, the CSV export, the workspace search, the
admin's case search and the case page's reference history show the replica's (old) state; a
user who has just written reads the primary and sees the new case. The search POST stores
only the term in the session: it pins nothing, and the term is read from the primary (the
replica has not seen the session row when replay is paused).

Without a replica: the router keeps the session on the primary, and a POST marked
``not_a_write`` sets no pin cookie.
"""

from __future__ import annotations

import csv
import io
import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.urls import reverse

from cases.models import Case
from kmcs_site.db_router import (
    PIN_COOKIE,
    REPLICA,
    PrimaryAfterWriteMiddleware,
    ReplicaRouter,
    not_a_write,
    read_alias,
    replica_context,
)
from tests.perf.test_replica import (  # noqa: F401 - standby is a fixture
    REPLICA_URL,
    _on_replica,
    _wait_until_replicated,
    standby,
)

EXPORT_URL = "/api/v1/cases/export/"
CALL = "RPL-CALL-7"


def test_the_session_is_read_from_the_primary_even_in_replica_context(settings):
    settings.KMCS_REPLICA_READS = True
    settings.DATABASES = {**settings.DATABASES, REPLICA: dict(settings.DATABASES["default"])}
    router = ReplicaRouter()
    with replica_context():
        assert router.db_for_read(Case) == REPLICA and read_alias() == REPLICA
        assert router.db_for_read(Session) == "default"
    assert read_alias() == "default"


def test_a_post_marked_not_a_write_sets_no_pin(settings):
    settings.DATABASES = {**settings.DATABASES, REPLICA: dict(settings.DATABASES["default"])}
    settings.KMCS_REPLICA_READS = True
    from django.http import HttpResponse

    def search_post(request):
        not_a_write(request)
        return HttpResponse()

    middleware = PrimaryAfterWriteMiddleware(search_post)
    assert PIN_COOKIE not in middleware(RequestFactory().post("/search/")).cookies
    writing = PrimaryAfterWriteMiddleware(lambda request: HttpResponse())
    assert writing(RequestFactory().post("/x/")).cookies[PIN_COOKIE]["max-age"] > 0


# --- against a real streaming replica -----------------------------------------------------
on_standby = [
    pytest.mark.skipif(
        not REPLICA_URL, reason="DATABASE_REPLICA_URL 미설정: .ci/replica start 후 실행"
    ),
    pytest.mark.replica,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
]


def _case(**extra) -> Case:
    return Case.objects.create(
        playbook="driver_nonride_cancel",
        service="driver",
        channel="chatbot_board",
        call_id=CALL,
        **extra,
    )


def _pause(standby) -> None:  # noqa: F811
    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")


def _lagging_pair(standby):  # noqa: F811
    """One case on both servers, then replay paused and a second case on the primary only."""
    old = _case()
    _wait_until_replicated(old.pk)
    _pause(standby)
    late = _case()
    time.sleep(0.3)
    assert not _on_replica(late.pk)
    return old, late


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pin(client: Client) -> None:
    """A real write-method request: the middleware answers with the pin cookie."""
    posted = client.post(reverse("dashboard:index"))
    assert posted.cookies[PIN_COOKIE]["max-age"] > 0


def _exported_ids(client: Client) -> set[int]:
    response = client.get(EXPORT_URL, {"file_type": "csv"})
    assert response.status_code == 200
    data = b"".join(response.streaming_content).decode("utf-8")[1:]
    return {int(row["케이스 ID"]) for row in csv.DictReader(io.StringIO(data))}


def _standby_test(func):
    for mark in reversed(on_standby):
        func = mark(func)
    return func


@_standby_test
def test_csv_export_reads_the_replica_and_a_user_who_just_wrote_reads_the_primary(
    standby,  # noqa: F811
    make_user,
):
    client = _login(make_user("team_lead"))
    old, late = _lagging_pair(standby)
    exported = _exported_ids(client)  # streamed after the view returned: still the replica
    assert old.pk in exported and late.pk not in exported
    _pin(client)
    assert {old.pk, late.pk} <= _exported_ids(client)


@_standby_test
def test_xlsx_export_reads_the_replica(standby, make_user):  # noqa: F811
    from openpyxl import load_workbook

    client = _login(make_user("team_lead"))
    old, late = _lagging_pair(standby)
    response = client.get(EXPORT_URL, {"file_type": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    ids = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert old.pk in ids and late.pk not in ids


@_standby_test
def test_workspace_search_reads_the_replica_and_its_post_does_not_pin(
    standby,  # noqa: F811
    make_user,
):
    client = _login(make_user("team_lead"))
    old, late = _lagging_pair(standby)
    posted = client.post(reverse("workspace:search"), {"q": CALL})
    assert posted.status_code == 302 and PIN_COOKIE not in posted.cookies
    # The term was stored in the session on the primary only (replay is paused): it is found.
    page = client.get(posted["Location"])
    assert page.context["page"] is not None
    found = {case.pk for case in page.context["cases"]}
    assert old.pk in found and late.pk not in found
    _pin(client)
    pinned = client.get(posted["Location"])
    assert {old.pk, late.pk} <= {case.pk for case in pinned.context["cases"]}


@_standby_test
def test_admin_case_search_reads_the_replica(standby, make_user):  # noqa: F811
    client = _login(make_user("team_lead"))
    old, late = _lagging_pair(standby)
    changelist = reverse("admin:cases_case_changelist")
    response = client.get(changelist, {"q": CALL})
    assert response.status_code == 200
    shown = {case.pk for case in response.context["cl"].result_list}
    assert old.pk in shown and late.pk not in shown
    _pin(client)
    pinned = client.get(changelist, {"q": CALL})
    assert {old.pk, late.pk} <= {case.pk for case in pinned.context["cl"].result_list}


@_standby_test
def test_reference_history_panel_reads_the_replica(standby, make_user):  # noqa: F811
    client = _login(make_user("team_lead"))
    old, late = _lagging_pair(standby)
    third = _case()  # the page's own case is read from the primary (the detail page)
    page = client.get(reverse("workspace:case", args=[third.pk]))
    assert page.status_code == 200
    history = {row.case.pk for row in page.context["related"].history}
    assert old.pk in history and late.pk not in history
    _pin(client)
    pinned = client.get(reverse("workspace:case", args=[third.pk]))
    assert {old.pk, late.pk} <= {row.case.pk for row in pinned.context["related"].history}
