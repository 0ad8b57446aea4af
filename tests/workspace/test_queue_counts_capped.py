"""The queue's per-state counts are capped (issue 17.3): each count stops after
``QUEUE_COUNT_CAP + 1`` rows, shows "<cap>+" past the cap, and stays one statement; on
PostgreSQL the statement reads about the same rows at 2,000 and at 10,000 open cases."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import selectors
from cases.models import Case, StepClock
from cases.selectors import QueueCount, case_queue_counts
from tests.workspace.test_queue_index_order import _grow

pytestmark = pytest.mark.django_db


def test_queue_count_prints_the_cap_with_a_plus_and_compares_like_an_int():
    assert str(QueueCount(12, 1000)) == "12" and QueueCount(12, 1000) == 12
    assert str(QueueCount(1000, 1000)) == "1,000" and not QueueCount(1000, 1000).capped
    over = QueueCount(5000, 1000)
    assert over.capped and str(over) == "1,000+" and int(over) == 1001
    assert QueueCount(3, 1000) < QueueCount(4, 1000) and not QueueCount(0, 1000)


def test_counts_are_exact_under_the_cap_and_capped_over_it(staff, client_for, monkeypatch):
    _grow(staff, 40, 0)  # 1 in 3 in progress, the rest new; 1 in 10 unassigned
    lead = staff.lead
    exact = {
        status: Case.objects.filter(status=status).count() for status in ("new", "in_progress")
    }
    counts = case_queue_counts(user=lead)
    assert (counts["new"], counts["in_progress"]) == (exact["new"], exact["in_progress"])
    assert counts["waiting"] == 0 and counts["decided"] == 0
    mine = Case.objects.filter(assignee=staff.agent).count()
    assert case_queue_counts(user=staff.agent)["mine"] == mine

    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 5)
    capped = case_queue_counts(user=lead)
    assert capped["new"].capped and str(capped["new"]) == "5+" and capped["new"] == 6
    assert capped["waiting"] == 0 and str(capped["waiting"]) == "0"
    with CaptureQueriesContext(connection) as queries:
        html = client_for(lead).get(reverse("workspace:queue")).content.decode()
    assert 'id="count-new">5+' in html and 'id="count-in_progress">5+' in html
    assert 'id="count-waiting">0' in html
    counting = [q["sql"] for q in queries if "COUNT(*)" in q["sql"].upper()]
    assert len([q for q in counting if "LIMIT 6" in q]) == 1, counting  # one capped statement


def test_overdue_is_counted_from_the_running_clocks(staff, make_case):
    """The overdue count reads the clocks due before now (not paused, not stopped), marked by
    the overdue job or not: the same cases ``case_queue_for`` marks overdue."""
    from cases.selectors import case_queue_for
    from tests.workspace.test_queue import _decided_ev

    late, marked, paused, on_time = (_decided_ev(staff) for _ in range(4))
    past = timezone.now() - timedelta(hours=2)
    running = StepClock.objects.filter(stopped_at__isnull=True)
    running.filter(case__in=[late, marked, paused]).update(
        due_at=past, started_at=past - timedelta(days=1)
    )
    running.filter(case=marked).update(overdue_marked_at=past)
    running.filter(case=paused).update(paused_at=past - timedelta(hours=1))
    running.filter(case=on_time).update(due_at=timezone.now() + timedelta(days=3))
    overdue = {c.pk for c in case_queue_for(user=staff.lead) if c.is_overdue}
    assert overdue == {late.pk, marked.pk}
    assert case_queue_counts(user=staff.lead)["overdue"] == 2


def _counts_plan(user) -> dict:
    with CaptureQueriesContext(connection) as queries:
        case_queue_counts(user=user)
    (sql,) = [q["sql"] for q in queries if "COUNT(*)" in q["sql"].upper()]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        (raw,) = cursor.fetchone()
    return (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]


def _case_rows_read(plan: dict) -> int:
    from tests.workspace.test_queue_index_order import _case_rows_read as rows_read

    return rows_read(plan)


def _read_ceiling(user, monkeypatch, cap: int) -> int:
    """The most rows of ``cases_case`` the capped statement may read, whatever plan it takes.

    A count past the cap stops after ``cap + 1`` matches: an index scan reads those, a
    sequential scan reads them plus the rows between them, about ``(cap + 1) / share`` rows
    where ``share`` is the count's part of the table. A count under the cap reads its own
    rows (by index; a sequential scan of the whole table for it would be a flatness bug).
    The ceiling depends on the cap and the shares only, not on the number of open cases;
    the old aggregate read every open case."""
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 10**9)
    exact = {key: int(value) for key, value in case_queue_counts(user=user).items()}
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", cap)
    table = Case.objects.count()
    ceiling = sum(min(table, (cap + 1) * table / n) if n > cap else n for n in exact.values() if n)
    return int(ceiling * 1.1) + 10  # rounding of the scan's stopping point


@pytest.mark.postgres
@pytest.mark.parametrize("who", ["lead", "agent"])
def test_count_statement_reads_about_the_same_rows_at_2000_and_10000_open_cases(
    staff, monkeypatch, who
):
    """With the cap at 100, the counting statement reads no more rows of ``cases_case`` than
    :func:`_read_ceiling` allows at 2,000 and at 10,000 open cases, whether the planner walks
    an index (about cap + 1 rows per count) or scans the table until the cap (more, when a
    count is a small share, as an agent's visible cases are). Which of the two it takes
    depends on statistics and on the table's physical layout (CI saw both for the same data),
    so the bound is the scan's, which is still flat in the open cases. The old aggregate
    read every open case (2,000, then 10,000)."""
    cap = 100
    user = getattr(staff, who)
    _grow(staff, 2000, 0)
    small_ceiling = _read_ceiling(user, monkeypatch, cap)
    small = _case_rows_read(_counts_plan(user))
    assert small <= small_ceiling, (small, small_ceiling)
    _grow(staff, 8000, 10_000)
    big_ceiling = _read_ceiling(user, monkeypatch, cap)
    big = _case_rows_read(_counts_plan(user))
    counts = case_queue_counts(user=user)
    assert counts["new"].capped and counts["in_progress"].capped
    assert counts["mine"].capped == (who == "agent")
    assert big <= big_ceiling, (big, big_ceiling)
    # The same shares at both sizes, so the same ceiling: flat, and far from the 10,000 open
    # cases (and from the 5x growth) of the uncapped read.
    assert big_ceiling <= small_ceiling * 1.1 + 10, (small_ceiling, big_ceiling)
    assert big <= 2_500, (small, big)  # a quarter of the open cases, at most
