"""The queue read in index order (issue 17.3): every page holds the rows the old
``ORDER BY CASE WHEN assignee_id IS NULL ...`` gave, in the same order, and on PostgreSQL the
page's plan reads the ``case_queue_*`` partial indexes and never sorts the open cases (the
statement is the same at 2,000 and at 10,000 open cases, and so are the rows it reads)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case, CaseUserObjectPermission, Status
from cases.selectors import IndexOrderedQueue, case_queue_for

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=30)

_case = st.fixed_dictionaries(
    {
        "status": st.sampled_from(list(Status.values)),
        "assignee": st.sampled_from(["none", "agent", "agent_b"]),
        "service": st.sampled_from(["driver", "parking"]),
        # few distinct times: ties on created_at are ordered by id, in both forms
        "minute": st.integers(min_value=0, max_value=5),
        "perm": st.booleans(),  # the agent still holds the work permission on it
    }
)


def _seed(staff, specs) -> None:
    Case.objects.all().delete()
    people = {"none": None, "agent": staff.agent, "agent_b": staff.agent_b}
    cases = Case.objects.bulk_create(
        Case(
            playbook="driver_nonride_cancel"
            if spec["service"] == "driver"
            else "parking_operations",
            service=spec["service"],
            channel="chatbot_board",
            status=spec["status"],
            assignee=people[spec["assignee"]],
            created_at=T0 + timedelta(minutes=spec["minute"]),
        )
        for spec in specs
    )
    from django.contrib.auth.models import Permission

    work = Permission.objects.get(codename="work_case", content_type__app_label="cases")
    CaseUserObjectPermission.objects.bulk_create(
        CaseUserObjectPermission(user=staff.agent, permission=work, content_object=case)
        for case, spec in zip(cases, specs, strict=True)
        if spec["perm"]
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(_case, max_size=40),
    who=st.sampled_from(["agent", "lead", "parking_agent"]),
    offset=st.integers(min_value=0, max_value=30),
    limit=st.integers(min_value=1, max_value=12),
    playbook=st.sampled_from(["", "driver_nonride_cancel"]),
)
def test_every_page_equals_the_case_when_order(staff, specs, who, offset, limit, playbook):
    _seed(staff, specs)
    queue = case_queue_for(user=getattr(staff, who))
    assert isinstance(queue, IndexOrderedQueue)
    if playbook:
        queue = queue.filter(playbook=playbook)
    reference = list(queue.reference())
    page = queue[offset : offset + limit]
    assert [c.pk for c in page] == [c.pk for c in reference[offset : offset + limit]]
    assert [c.is_mine for c in page] == [c.is_mine for c in reference[offset : offset + limit]]
    assert queue.none()[0:limit] == []


def _plan(queue: IndexOrderedQueue, offset: int = 0, limit: int = 51) -> dict:
    sql, params = queue.page(offset, limit).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        (raw,) = cursor.fetchone()
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _case_rows_read(plan: dict) -> int:
    """Rows the plan took from ``cases_case`` (returned or filtered away), all loops."""
    return sum(
        (n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)) * n.get("Actual Loops", 1)
        for n in _nodes(plan)
        if n.get("Relation Name") == "cases_case"
    )


def _grow(staff, n: int, start: int) -> None:
    """``n`` open cases: 1 in 10 unassigned, the rest spread over the two agents (who hold
    the work permission on their own, as assignment grants it)."""
    people = [None, staff.agent, staff.agent_b, staff.agent_b, staff.agent_b]
    Case.objects.bulk_create(
        (
            Case(
                playbook="driver_nonride_cancel",
                service="driver",
                channel="chatbot_board",
                status=Status.NEW if i % 3 else Status.IN_PROGRESS,
                assignee=people[0] if i % 10 == 0 else people[1 + i % 4],
                created_at=T0 + timedelta(seconds=start + i),
            )
            for i in range(n)
        ),
        batch_size=1000,
    )
    # as assignment does: the assignee holds the work permission on each of their cases
    from django.contrib.auth.models import Permission

    work = Permission.objects.get(codename="work_case", content_type__app_label="cases")
    CaseUserObjectPermission.objects.bulk_create(
        (
            CaseUserObjectPermission(user_id=case.assignee_id, permission=work, content_object=case)
            for case in Case.objects.filter(
                assignee__isnull=False, created_at__gte=T0 + timedelta(seconds=start)
            ).only("pk", "assignee_id")
        ),
        batch_size=1000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
        cursor.execute("ANALYZE cases_caseuserobjectpermission")


#: Most rows one page (51) may read from ``cases_case``: a page's worth per branch plus the
#: rows a branch skips on its way (unassigned rows between assigned ones) and the page's own
#: rows fetched by primary key. Far below the 2,000 / 10,000 open cases of the test.
PAGE_READ_CEILING = 500


def _allowance(staff, who: str) -> int:
    """An agent's queue also looks up, by primary key, the cases they hold the work permission
    on (to find the rare one someone else now has): as many rows as their own permissions,
    however many cases the center has."""
    if who != "agent":
        return 0
    return CaseUserObjectPermission.objects.filter(user=staff.agent).count()


@pytest.mark.postgres
def test_queue_plan_reads_the_partial_indexes_and_stays_the_same_as_cases_grow(staff):
    """Same statement at 2,000 and 10,000 open cases; a lead's page reads about one page of
    rows from ``cases_case`` at both sizes (an agent's, that plus one lookup per case they
    hold): no scan of the table, no sort of the open cases."""
    _grow(staff, 2000, 0)
    queues = {who: case_queue_for(user=getattr(staff, who)) for who in ("lead", "agent")}
    small_sql = {who: q.page(0, 51).query.sql_with_params()[0] for who, q in queues.items()}
    for who, queue in queues.items():
        plan = _plan(queue)
        nodes = list(_nodes(plan))
        used = {n.get("Index Name") for n in nodes}
        assert used & {"case_queue_unassigned", "case_queue_assignee", "case_queue_assigned"}, (
            who,
            used,
        )
        assert not [
            n for n in nodes if n["Node Type"] == "Seq Scan" and n["Relation Name"] == "cases_case"
        ], who
        assert all(n["Actual Rows"] <= 3 * 51 for n in nodes if n["Node Type"] == "Sort"), who
        read = _case_rows_read(plan) - _allowance(staff, who)
        assert read <= PAGE_READ_CEILING, (who, read)
    _grow(staff, 8000, 10_000)
    for who in ("lead", "agent"):
        queue = case_queue_for(user=getattr(staff, who))
        assert queue.page(0, 51).query.sql_with_params()[0] == small_sql[who], who
        plan = _plan(queue)
        read = _case_rows_read(plan) - _allowance(staff, who)
        assert read <= PAGE_READ_CEILING, (who, read)
        assert not [
            n
            for n in _nodes(plan)
            if n["Node Type"] == "Seq Scan" and n["Relation Name"] == "cases_case"
        ], who


QUEUE_PAGE_MAX_QUERIES = 8


def _statements(queries) -> list[str]:
    """The statements a request ran, numbers and quoted values blanked (ids, times differ)."""
    import re

    return [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries]


@pytest.mark.parametrize("who", ["agent", "lead"])
def test_default_queue_page_runs_the_same_statements_at_200_and_2000_open_cases(
    staff, client_for, django_assert_max_num_queries, who
):
    """The queue page in its default order (no ``sort``): the same statements, as many, with
    200 and with 2,000 open cases (issue 17.3), and the first page is full at both sizes."""
    from django.urls import reverse

    client = client_for(getattr(staff, who))
    _grow(staff, 200, 0)
    client.get(reverse("workspace:queue"))  # warm the per-user caches alike for both sizes
    with django_assert_max_num_queries(QUEUE_PAGE_MAX_QUERIES) as small:
        first = client.get(reverse("workspace:queue"))
    _grow(staff, 1800, 10_000)
    with django_assert_max_num_queries(QUEUE_PAGE_MAX_QUERIES) as big:
        second = client.get(reverse("workspace:queue"))
    assert first.status_code == second.status_code == 200
    assert len(second.context["cases"]) == 50
    assert _statements(small.captured_queries) == _statements(big.captured_queries)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(_case, max_size=40),
    who=st.sampled_from(["agent", "lead", "parking_agent"]),
)
def test_queue_rows_and_counts_equal_the_visible_cases_in_a_queue_status(staff, specs, who):
    """The queue reads an agent's work permissions only from the smallest id of a queue case
    up, and counts an agent's cases as two disjoint parts (unassigned of their services,
    held by permission: their own and someone else's): both must give exactly the cases
    ``case_list_visible_to`` shows in a queue status, with no bound at all."""
    from cases import selectors
    from cases.models.choices import QUEUE_STATUSES
    from cases.selectors import case_list_visible_to, case_queue_counts

    _seed(staff, specs)
    user = getattr(staff, who)
    visible = case_list_visible_to(user=user).filter(status__in=QUEUE_STATUSES)
    expected = {case.pk: case for case in visible}
    assert {case.pk for case in case_queue_for(user=user).reference()} == set(expected)
    old_cap = selectors.QUEUE_COUNT_CAP
    selectors.QUEUE_COUNT_CAP = 10**6  # exact counts (hypothesis: no monkeypatch per example)
    try:
        counts = case_queue_counts(user=user)
    finally:
        selectors.QUEUE_COUNT_CAP = old_cap
    for status in QUEUE_STATUSES:
        wanted = sum(case.status == status for case in expected.values())
        assert counts[str(status)] == wanted, (status, counts)
    assert counts["mine"] == sum(case.assignee_id == user.pk for case in expected.values())
