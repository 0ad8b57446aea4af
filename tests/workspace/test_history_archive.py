"""The auditor's history list reads archived rows on request (issue 17.8).

``manage.py kmcs_history_archive`` moves rows past the retention cutoff to
``<table>_archive``. The list then leaves them out, unless "보관된 이력 포함" is ticked: then
the page is the newest-first merge of the live and the archive tables, with the same filters,
the same masking and the same permission; archived rows are marked 보관. On SQLite (no archive)
the box is disabled and says why.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kmcs_site.history import HistoryFilters, history_fetcher, history_page_keys

pytestmark = pytest.mark.django_db

HISTORY = reverse("audit:history")


def _story(staff, make_case, n: int):
    """``n`` cases, each assigned and started (three history rows a case)."""
    from cases.services import case_transition

    cases = []
    for _ in range(n):
        case = make_case(assignee=staff.agent)
        case_transition(case=case, transition="start", actor=staff.agent)
        cases.append(case)
    return cases


def _archive_old(cases, days=900):
    """The history rows of ``cases`` dated ``days`` ago, then moved by the archive step."""
    from io import StringIO

    from cases.models import Case

    long_ago = timezone.now() - timedelta(days=days)
    for offset, case in enumerate(cases):
        for step, record in enumerate(Case.history.filter(id=case.pk).order_by("history_id")):
            at = long_ago + timedelta(minutes=10 * offset + step)
            Case.history.filter(history_id=record.history_id).update(history_date=at)
    call_command("kmcs_history_archive", months=24, stdout=StringIO())


def _all_keys(filters) -> list[tuple]:
    return history_page_keys(filters=filters, offset=0, limit=10_000)


@pytest.mark.postgres
def test_archived_rows_are_read_on_request_merged_newest_first(staff, make_case, client_for):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    old_a, old_b, new = _story(staff, make_case, 3)
    _archive_old([old_a, old_b])
    case_only = HistoryFilters(model="cases.case")
    live = _all_keys(case_only)
    assert {int(k[3]) for k in live} == {new.pk}  # the archived versions left the live list
    merged = _all_keys(HistoryFilters(model="cases.case", archived=True))
    assert {int(k[3]) for k in merged} == {old_a.pk, old_b.pk, new.pk}
    assert len(merged) == 9
    newest_first = [(k[0], k[2]) for k in merged]
    assert newest_first == sorted(newest_first, reverse=True)

    # Pages of 4 cut across the live/archive boundary and together give the whole merge.
    fetch = history_fetcher(HistoryFilters(model="cases.case", archived=True))
    paged = [row for offset in (0, 4, 8) for row in fetch(offset, 4)]
    assert [(r.model_label, r.history_id) for r in paged] == [
        (k[1].split("|")[0], k[2]) for k in merged
    ]
    archived = [r for r in paged if r.archived]
    assert {int(r.object_id) for r in archived} == {old_a.pk, old_b.pk}
    assert all(not r.archived for r in paged if int(r.object_id) == new.pk)
    # Built like live rows: who acted, before/after against the previous archived version,
    # phones masked.
    started = next(r for r in archived if r.object_id == str(old_a.pk) and r.change_type == "~")
    assert started.user == staff.agent
    created = next(r for r in archived if r.object_id == str(old_a.pk) and r.change_type == "+")
    shown = " ".join(c.after for c in created.changes)
    phone = old_a.customer_phone
    assert f"010-****-{phone[-4:]}" in shown
    assert phone not in shown and phone.replace("-", "") not in shown

    # The page: the box, the 보관 mark, filters on the archive too.
    client = client_for(staff.lead)
    page = client.get(HISTORY, {"model": "cases.case", "archived": "on"})
    html = page.content.decode()
    assert page.status_code == 200 and "보관된 이력 포함" in html
    assert len(page.context["rows"]) == 9 and html.count('class="badge">보관<') == 6
    assert phone not in html and phone.replace("-", "") not in html
    one = client.get(HISTORY, {"model": "cases.case", "object_id": old_b.pk, "archived": "on"})
    assert {r.object_id for r in one.context["rows"]} == {str(old_b.pk)}
    assert len(one.context["rows"]) == 3
    without = client.get(HISTORY, {"model": "cases.case", "object_id": old_b.pk})
    assert list(without.context["rows"]) == []
    by_user = client.get(HISTORY, {"user": staff.agent.pk, "archived": "on"}).context["rows"]
    assert {r.object_id for r in by_user if r.archived} >= {str(old_a.pk), str(old_b.pk)}
    # Same permission as the live list: an agent may not read the audit pages at all.
    assert client_for(staff.agent).get(HISTORY, {"archived": "on"}).status_code == 403


@pytest.mark.postgres
def test_archived_page_query_count_does_not_grow_with_archived_rows(staff, make_case, client_for):
    """One statement for which archive tables exist, one for the keys, one per model on the
    page (live and archived apart) and one for the archived rows' users: the same at 2 and 12
    archived cases."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    client = client_for(staff.lead)
    params = {"model": "cases.case", "archived": "on"}
    counts = []
    for n in (2, 10):
        _archive_old(_story(staff, make_case, n))
        client.get(HISTORY, params)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(HISTORY, params).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_sqlite_has_no_archive_and_the_box_says_why(staff, make_case, client_for):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite answer")
    _story(staff, make_case, 1)
    page = client_for(staff.lead).get(HISTORY, {"model": "cases.case", "archived": "on"})
    assert page.status_code == 200
    form = page.context["form"]
    assert form.fields["archived"].disabled
    assert "PostgreSQL" in page.content.decode() and "SQLite" in page.content.decode()
    assert len(page.context["rows"]) == 3  # the live rows, as without the box


def test_case_filter_reads_the_case_and_its_parts(staff, make_case, client_for):
    """``?case=N``: the case's own versions and those of the rows that belong to it (steps,
    posts, contact attempts), nothing of other cases; the per-case page links to it with the
    archive box ticked."""
    mine, other = _story(staff, make_case, 2)
    client = client_for(staff.lead)
    rows = client.get(HISTORY, {"case": mine.pk}).context["rows"]
    assert rows and {r.case_id for r in rows} == {mine.pk}
    assert len([r for r in rows if r.model_label == "cases.case"]) == 3
    page = client.get(reverse("audit:case_history", args=[mine.pk])).content.decode()
    assert f"?case={mine.pk}&amp;archived=on" in page


@pytest.mark.postgres
def test_case_filter_with_archived_rows(staff, make_case, client_for):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    old, new = _story(staff, make_case, 2)
    _archive_old([old])
    client = client_for(staff.lead)
    assert not [
        r
        for r in client.get(HISTORY, {"case": old.pk}).context["rows"]
        if r.model_label == "cases.case"
    ]
    rows = client.get(HISTORY, {"case": old.pk, "archived": "on"}).context["rows"]
    archived = [r for r in rows if r.archived]
    assert {r.case_id for r in rows} == {old.pk} and len(archived) == 3


@pytest.mark.postgres
def test_archive_tables_get_the_indexes_the_archived_list_reads(staff, make_case):
    """Previous version (object id, date), by user, a case's parts: each archived row on a
    page is found by index, not by scanning the archive."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    _archive_old(_story(staff, make_case, 1))
    with connection.cursor() as cursor:
        for table, expected in (
            ("cases_historicalcase_archive", ["id", "history_date", "history_id"]),
            ("cases_historicalcasestep_archive", ["case_id", "history_date", "history_id"]),
        ):
            constraints = connection.introspection.get_constraints(cursor, table)
            columns = [c["columns"] for c in constraints.values() if c["index"]]
            assert expected in columns, (table, columns)
            assert ["history_user_id", "history_date", "history_id"] in columns, table
