"""History at scale (issue 17.8): the audit pages' query counts do not grow with the number of
cases and versions, every historical table has the (user, date) index the filtered list
reads, and the archive step moves old rows out of the live tables and refuses to cut into
the two years kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from kmcs_site.history import audited_models

pytestmark = pytest.mark.django_db

HISTORY = reverse("audit:history")


def _grow(staff, make_case, n: int):
    """``n`` cases, each assigned and started (three history rows a case)."""
    from cases.services import case_transition

    cases = []
    for _ in range(n):
        case = make_case(assignee=staff.agent)
        case_transition(case=case, transition="start", actor=staff.agent)
        cases.append(case)
    return cases


#: (url, params, most queries). The list runs one query for the page's keys and one per
#: audited model *present on the page* (bounded by the number of audited models, never by the
#: number of rows); the case history reads the case and each of its related tables once.
def _audit_urls(staff, case):
    return [
        (HISTORY, {}, 12),
        (HISTORY, {"user": staff.agent.pk}, 9),
        (HISTORY, {"model": "cases.case"}, 8),
        (HISTORY, {"model": "cases.case", "object_id": case.pk}, 8),
        (reverse("audit:case_history", kwargs={"case_id": case.pk}), {}, 25),
    ]


def _counts(client, urls) -> list[int]:
    from django.test.utils import CaptureQueriesContext

    counts = []
    for url, params, _most in urls:
        client.get(url, params)  # warm: session, roles cached as on any later request
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200, (url, params)
        counts.append(len(queries))
    return counts


@pytest.mark.parametrize("extra_cases", [2, 40])
def test_audit_pages_query_count_is_bounded_at_two_sizes(
    staff, client_for, make_case, django_assert_max_num_queries, extra_cases
):
    cases = _grow(staff, make_case, extra_cases)
    client = client_for(staff.auditor)
    for url, params, most in _audit_urls(staff, cases[-1]):
        client.get(url, params)
        with django_assert_max_num_queries(most):
            assert client.get(url, params).status_code == 200


def test_audit_pages_same_query_count_at_2_and_40_cases(staff, client_for, make_case):
    cases = _grow(staff, make_case, 2)
    client = client_for(staff.auditor)
    small = _counts(client, _audit_urls(staff, cases[-1]))
    more = _grow(staff, make_case, 38)
    large = _counts(client, _audit_urls(staff, more[-1]))
    # The unfiltered list may show fewer models once cases fill the page (never more); every
    # filtered page and the case history run the same statements at both sizes.
    assert large[0] <= small[0]
    assert small[1:] == large[1:]


def test_every_history_table_has_the_user_date_index():
    with connection.cursor() as cursor:
        for audited in audited_models():
            table = audited.history_model._meta.db_table
            constraints = connection.introspection.get_constraints(cursor, table)
            columns = [c["columns"] for c in constraints.values() if c["index"]]
            assert ["history_user_id", "history_date", "history_id"] in columns, table


def test_archive_refuses_less_than_two_years():
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("kmcs_history_archive", months=24)
        return
    with pytest.raises(CommandError, match="24개월 이상 보관"):
        call_command("kmcs_history_archive", months=12)


@pytest.mark.postgres
def test_archive_moves_only_rows_older_than_the_cutoff(staff, make_case):
    from io import StringIO

    from cases.models import Case

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    old, new = _grow(staff, make_case, 2)
    long_ago = timezone.now() - timedelta(days=800)
    Case.history.filter(id=old.pk).update(history_date=long_ago)
    live_before = Case.history.count()
    out = StringIO()
    call_command("kmcs_history_archive", months=24, stdout=out)
    assert Case.history.filter(id=old.pk).count() == 0
    assert Case.history.filter(id=new.pk).count() == 3
    assert Case.history.count() == live_before - 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_historicalcase_archive WHERE id = %s", [old.pk])
        assert cursor.fetchone()[0] == 3
    assert "옮긴 행: 3" in out.getvalue()


def _message_history_of(case):
    """The query the case timeline runs for a case's SMS history (``message_events``)."""
    from django.contrib.contenttypes.models import ContentType

    from cases.models import Case
    from templates_app.models import OutboundMessage

    content_type = ContentType.objects.get_for_model(Case)
    return OutboundMessage.history.filter(
        content_type_id=content_type.pk, object_id=case.pk
    ).order_by("-history_date", "-history_id")[:101]


def test_a_cases_message_history_has_an_index():
    """The case page's and the auditor's timeline read a case's SMS versions by the generic
    key (content type, object id). simple-history indexes neither column of the historical
    table, so each case page scanned every message version ever kept: 37 ms of the page's
    47 ms of SQL at 100,000 cases (140,000 versions), growing with the outbox."""
    from templates_app.models import OutboundMessage

    table = OutboundMessage.history.model._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    columns = [c["columns"] for c in constraints.values() if c["index"]]
    assert ["content_type_id", "object_id", "history_date", "history_id"] in columns


@pytest.mark.postgres
def test_a_cases_message_history_is_read_by_that_index(staff, make_case):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL plan")
    case = make_case(assignee=staff.agent)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = _message_history_of(case).explain()
    assert "historicaloutboundmessage_case_history" in plan, plan
