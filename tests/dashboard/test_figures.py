"""Every dashboard figure equals a direct count over the seeded rows, and the figures cost a
fixed number of queries whatever the data size."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.dashboard.figures import QUERY_COUNT, Filters, dashboard_figures
from cases.models import (
    OPEN_STATUSES,
    Case,
    Channel,
    PlaybookCode,
    Status,
    StepClock,
    WaitingOn,
)
from fines.models import FinePayout
from templates_app.models import OutboundMessage
from tests.dashboard.conftest import NOW

pytestmark = pytest.mark.django_db

OCTOBER = Filters(date(2025, 10, 1), date(2025, 10, 31))


def label(code: str) -> str:
    return str(PlaybookCode(code).label)


def in_range(filters: Filters, playbook: str = ""):
    rows = [
        c
        for c in Case.objects.all()
        if filters.date_from <= timezone.localtime(c.created_at).date() <= filters.date_to
    ]
    return [c for c in rows if not playbook or c.playbook == playbook]


@pytest.mark.parametrize("playbook", ["", "ev_charging"])
def test_case_figures_equal_direct_counts(seeded, playbook):
    filters = Filters(OCTOBER.date_from, OCTOBER.date_to, playbook)
    figures = dashboard_figures(filters=filters, now=NOW)
    rows = in_range(filters, playbook)
    assert rows and len(rows) < Case.objects.count()  # the range leaves some cases out

    assert figures.cases_in_range == len(rows)
    by_playbook = Counter(label(c.playbook) for c in rows)
    assert figures.by_playbook.totals == dict(by_playbook)
    channels = dict(Channel.choices)
    assert figures.by_channel.totals == dict(Counter(str(channels[c.channel]) for c in rows))
    # day by day (a 31-day range is drawn per day)
    assert figures.filters.bucket == "day" and len(figures.by_playbook.labels) == 31
    per_day = Counter(timezone.localtime(c.created_at).date().isoformat() for c in rows)
    table = {day: total for day, _, total in figures.by_playbook.table()}
    assert {d: n for d, n in table.items() if n} == dict(per_day)
    assert figures.by_outcome and Counter({(p, o): n for p, o, n in figures.by_outcome}) == Counter(
        (label(c.playbook), c.outcome or "미결정") for c in rows
    )


def test_open_cases_overdue_and_medians_equal_direct_counts(seeded):
    figures = dashboard_figures(filters=OCTOBER, now=NOW)
    open_now = Counter(
        str(Status(c.status).label) for c in Case.objects.filter(status__in=OPEN_STATUSES)
    )
    assert dict(figures.open_by_status) == {
        str(Status(s).label): open_now.get(str(Status(s).label), 0) for s in OPEN_STATUSES
    }
    assert sum(n for _, n in figures.open_by_status) > 0

    overdue = StepClock.objects.filter(stopped_at__isnull=True, overdue_marked_at__isnull=False)
    assert overdue.exists()
    assert figures.overdue_open == overdue.count()
    assert Counter({(p, c): n for p, c, _, n in figures.overdue_by_step}) == Counter(
        (label(k.playbook), k.step_code) for k in overdue
    )
    waits = dict(WaitingOn.choices)
    assert Counter({(who, w): n for who, w, n in figures.overdue_by_partner}) == Counter(
        (k.counterparty or "미지정", str(waits[k.waits_on]) if k.waits_on else "—") for k in overdue
    )
    assert {"가CPO", "나CPO"} <= {who for who, _, _ in figures.overdue_by_partner}
    marked_in_october = [
        k
        for k in StepClock.objects.filter(overdue_marked_at__isnull=False)
        if date(2025, 10, 1) <= timezone.localtime(k.overdue_marked_at).date() <= date(2025, 10, 31)
    ]
    assert figures.overdue_in_range == len(marked_in_october)

    medians = {p: (m, n) for p, m, n in figures.median_decision}
    for code in PlaybookCode.values:
        decided = [c for c in in_range(OCTOBER, code) if c.decided_at]
        if not decided:
            assert label(code) not in medians
            continue
        durations = [c.decided_at - c.created_at for c in decided]
        assert medians[label(code)] == (statistics.median(durations), len(decided)), code


def test_even_counts_take_the_mean_of_the_middle_two(seed_cases):
    seed_cases(8, decide_every=100)  # everything decided, durations differ per case
    figures = dashboard_figures(filters=OCTOBER, now=NOW)
    for playbook, median, decided in figures.median_decision:
        rows = [c for c in Case.objects.all() if label(c.playbook) == playbook]
        durations = sorted(c.decided_at - c.created_at for c in rows)
        assert decided == len(durations)
        assert median == statistics.median(durations)
    assert any(n % 2 == 0 for _, _, n in figures.median_decision)


def test_payout_batch_and_failed_messages_equal_direct_counts(seeded):
    figures = dashboard_figures(filters=OCTOBER, now=NOW)
    today, tomorrow = seeded["payouts"]
    assert timezone.localtime(today.scheduled_at).date() == date(2025, 10, 20)
    assert timezone.localtime(tomorrow.scheduled_at).date() == date(2025, 10, 21)
    batch = figures.payout_today
    expected = FinePayout.objects.filter(pk=today.pk).get().amount
    assert batch["day"] == date(2025, 10, 20)
    assert (batch["total"], batch["count"], batch["paid_count"]) == (expected, 1, 0)
    assert batch["total_label"] == f"{expected:,}원"
    # the next day, the other payout is in that day's batch
    next_day = dashboard_figures(filters=OCTOBER, now=NOW + timedelta(days=1))
    assert next_day.payout_today["total"] == tomorrow.amount

    # Failed at once and dead-lettered (issue 16) alike: neither reached the customer.
    failed = OutboundMessage.objects.filter(
        status__in=(OutboundMessage.Status.FAILED, OutboundMessage.Status.DEAD_LETTER)
    )
    assert failed.filter(status=OutboundMessage.Status.DEAD_LETTER).exists()
    in_october = [
        m
        for m in failed
        if date(2025, 10, 1) <= timezone.localtime(m.queued_at).date() <= date(2025, 10, 31)
    ]
    assert len(in_october) == 3  # the seeded two failed and one dead letter
    assert figures.messages_failed_total == len(in_october)
    assert dict(figures.messages_failed) == dict(Counter(m.template.name for m in in_october))


def test_longer_ranges_are_drawn_per_week_and_per_month(seeded):
    weeks = dashboard_figures(filters=Filters(date(2025, 8, 1), date(2025, 12, 31)), now=NOW)
    assert weeks.filters.bucket == "week"
    assert weeks.by_playbook.labels[0] == "2025-07-28"  # the Monday of 1 August's week
    months = dashboard_figures(filters=Filters(date(2024, 1, 1), date(2025, 12, 31)), now=NOW)
    assert months.filters.bucket == "month" and len(months.by_playbook.labels) == 24
    all_rows = Case.objects.count()
    assert months.cases_in_range == weeks.cases_in_range == all_rows


def count_queries(filters) -> int:
    with CaptureQueriesContext(connection) as ctx:
        dashboard_figures(filters=filters, now=NOW)
    return len(ctx.captured_queries)


def test_the_figures_cost_the_same_queries_at_any_size(seed_cases, django_assert_num_queries):
    empty = count_queries(OCTOBER)
    assert empty == QUERY_COUNT
    seed_cases(3)
    small = count_queries(OCTOBER)
    seed_cases(30)
    from cases.services.clocks import clocks_mark_overdue

    clocks_mark_overdue(now=NOW)
    with django_assert_num_queries(small):
        dashboard_figures(filters=OCTOBER, now=NOW)
    assert small == QUERY_COUNT
