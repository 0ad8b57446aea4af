"""The dashboard's counts from the summary tables (issue 17.4): equal to direct counts over
the cases, after the job and after edits, decisions and closings; the same query count."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.dashboard.figures import QUERY_COUNT, Filters, dashboard_figures
from cases.dashboard.summary import summary_refresh
from cases.models import Case, CaseDaySummary, PlaybookCode, SummaryState
from tests.dashboard.conftest import NOW, kst

pytestmark = pytest.mark.django_db

RANGES = [
    Filters(date(2025, 10, 1), date(2025, 10, 31)),  # by day
    Filters(date(2025, 9, 1), date(2025, 12, 31)),  # by week
    Filters(date(2024, 11, 1), date(2025, 10, 31)),  # by month (a year)
    Filters(date(2025, 10, 1), date(2025, 10, 31), "ev_charging"),
    Filters(date(2025, 10, 5), date(2025, 10, 9)),  # part of the data
]


def _shown(figures) -> tuple:
    """What the page draws from the cases of the range."""
    return (
        figures.by_playbook.labels,
        figures.by_playbook.rows,
        figures.by_channel.rows,
        figures.by_outcome,
        figures.cases_in_range,
    )


def _direct(filters) -> tuple:
    """The same figures with no summary: every day counted from the cases."""
    saved = list(SummaryState.objects.values())
    SummaryState.objects.all().delete()
    try:
        return _shown(dashboard_figures(filters=filters, now=NOW))
    finally:
        SummaryState.objects.bulk_create(SummaryState(**row) for row in saved)


def _python_count(filters) -> Counter:
    rows = Counter()
    for case in Case.objects.all():
        day = timezone.localtime(case.created_at).date()
        wanted = not filters.playbook or case.playbook == filters.playbook
        if wanted and filters.date_from <= day <= filters.date_to:
            rows[str(PlaybookCode(case.playbook).label)] += 1
    return rows


@pytest.fixture
def summarised(seed_cases):
    cases = seed_cases(24)
    cases += seed_cases(3, first_day=kst(2025, 9, 20, 23, 30))  # 23:30 Seoul: the UTC day before
    cases += seed_cases(2, first_day=kst(2024, 12, 31, 23, 59))
    summary_refresh()
    return cases


@pytest.mark.parametrize("filters", RANGES)
def test_figures_from_the_summary_equal_direct_counts(summarised, filters):
    assert CaseDaySummary.objects.exists()
    figures = dashboard_figures(filters=filters, now=NOW)
    assert _shown(figures) == _direct(filters)
    assert figures.by_playbook.totals == dict(_python_count(filters))


def test_the_page_reads_the_summary_for_the_days_it_covers(summarised):
    """A summary row changed by hand shows on the page: the counts come from it."""
    october = RANGES[0]
    before = dashboard_figures(filters=october, now=NOW).cases_in_range
    row = CaseDaySummary.objects.filter(day__gte=date(2025, 10, 1), whole_month=False).first()
    CaseDaySummary.objects.filter(pk=row.pk).update(cases=row.cases + 100)
    assert dashboard_figures(filters=october, now=NOW).cases_in_range == before + 100


def test_after_edits_decisions_and_closing_the_job_brings_the_figures_back_to_direct_counts(
    summarised, staff
):
    from cases.services import case_decide, case_force_close

    open_case = next(c for c in summarised if c.decided_at is None)
    decided = next(
        c
        for c in summarised
        if c.decided_at is not None and c.pk != open_case.pk and c.playbook != "ev_charging"
    )
    # the seeded cases were written an hour before the job's last run, like any old case
    Case.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    case_decide(case=open_case, actor=staff.lead)  # outcome set: moves it between outcomes
    case_force_close(case=Case.objects.get(pk=decided.pk), reason="테스트 종결", actor=staff.lead)
    moved = Case.objects.get(pk=summarised[1].pk)
    moved.channel = "phone" if moved.channel != "phone" else "chat"  # an edit of a counted field
    moved.save()

    result = summary_refresh()
    assert 1 <= result["days"] <= 3  # only the days of the written cases were counted again
    for filters in RANGES:
        assert _shown(dashboard_figures(filters=filters, now=NOW)) == _direct(filters)


def test_the_summary_keeps_the_page_at_its_query_count(summarised):
    with CaptureQueriesContext(connection) as ctx:
        dashboard_figures(filters=RANGES[2], now=NOW)
    assert len(ctx.captured_queries) == QUERY_COUNT


def test_days_from_the_last_run_on_are_counted_live(summarised, seed_cases):
    """A case that arrives after the job ran, on the job's own day, shows at once."""
    state = SummaryState.objects.get()
    today = state.complete_before
    filters = Filters(today - timedelta(days=1), today)
    before = dashboard_figures(filters=filters, now=NOW).cases_in_range
    seed_cases(1, first_day=timezone.now(), decide_every=1)
    assert dashboard_figures(filters=filters, now=NOW).cases_in_range == before + 1


def test_the_job_and_the_command_rebuild_the_same_rows(summarised):
    from cases.tasks import dashboard_summary_refresh

    snapshot = sorted(
        CaseDaySummary.objects.values_list("day", "playbook", "channel", "outcome", "cases")
    )
    CaseDaySummary.objects.all().delete()
    call_command("kmcs_dashboard_summary", "--rebuild")
    rebuilt = sorted(
        CaseDaySummary.objects.values_list("day", "playbook", "channel", "outcome", "cases")
    )
    assert rebuilt == snapshot
    Case.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    assert dashboard_summary_refresh()["days"] == 0  # nothing written since the last run
