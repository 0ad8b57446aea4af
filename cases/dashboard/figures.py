"""The lead dashboard's figures: every number is an aggregate computed by the database.

One call of :func:`dashboard_figures` runs a fixed list of queries (``QUERY_COUNT``), each a
``GROUP BY`` or an aggregate; Python only reshapes the rows that come back (at most a few
thousand). So the page costs the same number of queries for 1,000 and for 1,000,000 cases
(tests pin it; ``bench/dashboard_bench.py`` times it). No statement reads every case of the
range (issue 17.4): the counts by day and the median time to decision come from the day
summaries (``cases.dashboard.summary``; only the days since the summary job's last run are
counted from the cases), "open by status" is a count over the partial index of open cases
(``case_open_status``: a few percent of the cases), the overdue figures read the partial index
of open overdue clocks (``clock_open_overdue``).

Definitions, so a figure reads the same everywhere:

- *cases in range*: created (접수 시각) from ``date_from`` 00:00 to the end of ``date_to``, Seoul;
- *open by status*: cases open **now** (신규 / 처리중 / 대기), whenever they came in;
- *overdue*: a step clock the overdue job marked and that still runs (the leads' queue), now;
  *overdue in range*: clocks marked within the range, running or not (promises broken);
- *time to decision*: ``decided_at - created_at`` of the cases in range that are decided; the
  median is the middle one (the mean of the middle two for an even count), exact to the
  microsecond;
- *today's payout batch*: payouts scheduled for today's batch (지급 예정 / 지급 완료 / 지급 실패;
  cancelled ones are not counted). Fines only: the playbook filter does not apply;
- *messages failed*: SMS queued in the range that ended ``failed``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, DateField, Min, Q, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from cases.dashboard.summary import decision_medians, timeline_rows
from cases.models import (
    OPEN_STATUSES,
    Case,
    CaseStep,
    Channel,
    PlaybookCode,
    Status,
    StepClock,
    WaitingOn,
)
from kmcs_site.business_time import SEOUL

#: Queries one call of dashboard_figures runs (tests hold the page to it).
QUERY_COUNT = 11

DAY_BUCKET_MAX_DAYS = 62
WEEK_BUCKET_MAX_DAYS = 366
BUCKET_LABELS = {"day": "일별", "week": "주별 (월요일 시작)", "month": "월별"}
NO_OUTCOME = "미결정"
NO_COUNTERPARTY = "미지정"


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    playbook: str = ""

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, SEOUL)

    @property
    def end(self) -> datetime:
        """Exclusive: the first moment after ``date_to`` (Seoul)."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min, SEOUL)

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def bucket(self) -> str:
        if self.days <= DAY_BUCKET_MAX_DAYS:
            return "day"
        if self.days <= WEEK_BUCKET_MAX_DAYS:
            return "week"
        return "month"


@dataclass
class Series:
    """A time series per key: ``labels`` are the buckets, ``rows`` key -> counts per bucket."""

    labels: list[str]
    rows: dict[str, list[int]]

    @property
    def totals(self) -> dict[str, int]:
        return {key: sum(values) for key, values in self.rows.items()}

    def as_chart(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "datasets": [{"label": k, "data": v} for k, v in self.rows.items()],
        }

    def table(self) -> list[tuple[str, list[int], int]]:
        """Rows for the HTML table: (bucket, counts per key in ``keys`` order, row total)."""
        keys = list(self.rows)
        return [
            (label, [self.rows[k][i] for k in keys], sum(self.rows[k][i] for k in keys))
            for i, label in enumerate(self.labels)
        ]


@dataclass
class DashboardFigures:
    filters: Filters
    generated_at: datetime
    by_playbook: Series
    by_channel: Series
    by_outcome: list[tuple[str, str, int]]  # (playbook label, outcome, cases)
    open_by_status: list[tuple[str, int]]
    overdue_by_step: list[tuple[str, str, str, int]]  # (playbook label, step code, label, n)
    overdue_by_partner: list[tuple[str, str, int]]  # (counterparty, waits-on label, n)
    overdue_open: int
    overdue_in_range: int
    median_decision: list[tuple[str, timedelta, int]]  # (playbook label, median, decided)
    payout_today: dict[str, Any]
    messages_failed: list[tuple[str, int]]

    @property
    def cases_in_range(self) -> int:
        return sum(self.by_playbook.totals.values())

    @property
    def messages_failed_total(self) -> int:
        return sum(n for _, n in self.messages_failed)

    @property
    def bucket_label(self) -> str:
        return BUCKET_LABELS[self.filters.bucket]

    def charts(self) -> dict[str, Any]:
        """What the page's script draws (the same numbers as the tables)."""
        return {
            "by_playbook": self.by_playbook.as_chart(),
            "by_channel": self.by_channel.as_chart(),
            "by_outcome": {
                "labels": [f"{p} · {o}" for p, o, _ in self.by_outcome],
                "datasets": [{"label": "케이스", "data": [n for *_, n in self.by_outcome]}],
            },
            "open_by_status": {
                "labels": [s for s, _ in self.open_by_status],
                "datasets": [{"label": "열린 케이스", "data": [n for _, n in self.open_by_status]}],
            },
            "overdue_by_step": {
                "labels": [f"{p} · {c}" for p, c, _, _ in self.overdue_by_step],
                "datasets": [{"label": "기한 초과", "data": [n for *_, n in self.overdue_by_step]}],
            },
            "overdue_by_partner": {
                "labels": [c for c, _, _ in self.overdue_by_partner],
                "datasets": [
                    {"label": "기한 초과", "data": [n for *_, n in self.overdue_by_partner]}
                ],
            },
            "median_decision": {
                "labels": [p for p, _, _ in self.median_decision],
                "datasets": [
                    {
                        "label": "결정까지 중앙값 (시간)",
                        "data": [
                            round(m.total_seconds() / 3600, 2) for _, m, _ in self.median_decision
                        ],
                    }
                ],
            },
        }


# --- SQL expressions ----------------------------------------------------------------------------
class SeoulBucket(Trunc):
    """``Trunc(created_at, day|week|month)`` on the Seoul calendar.

    PostgreSQL: Django's ``date_trunc(... AT TIME ZONE 'Asia/Seoul')``. SQLite: Django would
    call a Python function once per row (seconds at a few hundred thousand rows); Asia/Seoul
    has kept UTC+9 without daylight saving since 1988, so SQLite's own ``date()`` with a
    +9 hours modifier gives the same Seoul day natively (weeks start on Monday, as
    ``date_trunc('week')`` does).
    """

    _SQLITE_MODIFIERS = {
        "day": "",
        "week": ", 'weekday 0', '-6 days'",
        "month": ", 'start of month'",
    }

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, '+9 hours'{self._SQLITE_MODIFIERS[self.kind]})", params


# --- helpers ------------------------------------------------------------------------------------
def _playbook_label(code: str) -> str:
    try:
        return str(PlaybookCode(code).label)
    except ValueError:
        return code


def _bucket_start(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _buckets(filters: Filters) -> list[date]:
    """Every bucket of the range, empty ones included (a chart with gaps lies)."""
    out, day = [], _bucket_start(filters.date_from, filters.bucket)
    while day <= filters.date_to:
        out.append(day)
        if filters.bucket == "day":
            day += timedelta(days=1)
        elif filters.bucket == "week":
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def _bucket_label(day: date, bucket: str) -> str:
    return day.strftime("%Y-%m") if bucket == "month" else day.isoformat()


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _series(rows, filters: Filters, key_labels: dict[str, str]) -> Series:
    buckets = _buckets(filters)
    index = {b: i for i, b in enumerate(buckets)}
    data: dict[str, list[int]] = {}
    for row in rows:
        label = key_labels.get(row["key"], row["key"])
        values = data.setdefault(label, [0] * len(buckets))
        values[index[_as_date(row["bucket"])]] += row["n"]
    ordered = {k: data[k] for k in key_labels.values() if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return Series(labels=[_bucket_label(b, filters.bucket) for b in buckets], rows=ordered)


def cases_in_range(filters: Filters):
    cases = Case.objects.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    if filters.playbook:
        cases = cases.filter(playbook=filters.playbook)
    return cases.order_by()  # no default ordering: it would join the GROUP BY


def open_overdue_clocks(playbook: str = ""):
    clocks = StepClock.objects.filter(stopped_at__isnull=True, overdue_marked_at__isnull=False)
    if playbook:
        clocks = clocks.filter(playbook=playbook)
    return clocks.order_by()


def median_time_to_decision(cases, filters: Filters) -> list[tuple[str, timedelta, int]]:
    """Median ``decided_at - created_at`` per playbook (label, median, decided cases), from the
    duration summaries (``cases.dashboard.summary.decision_medians``, three statements)."""
    medians = {code: (median, n) for code, median, n in decision_medians(cases, filters)}
    return [
        (_playbook_label(code), *medians[code]) for code in PlaybookCode.values if code in medians
    ]


def payout_batch_today(now: datetime) -> dict[str, Any]:
    """Today's 14:00 batch (Seoul day of ``now``): what it pays, has paid, failed to pay."""
    from fines.models import FinePayout, PayoutStatus

    today = timezone.localtime(now, SEOUL).date()
    start = datetime.combine(today, time.min, SEOUL)
    counted = [PayoutStatus.SCHEDULED, PayoutStatus.PAID, PayoutStatus.FAILED]
    figures = FinePayout.objects.filter(
        scheduled_at__gte=start, scheduled_at__lt=start + timedelta(days=1), status__in=counted
    ).aggregate(
        total=Sum("amount"),
        count=Count("pk"),
        paid_total=Sum("amount", filter=Q(status=PayoutStatus.PAID)),
        paid_count=Count("pk", filter=Q(status=PayoutStatus.PAID)),
        failed_count=Count("pk", filter=Q(status=PayoutStatus.FAILED)),
    )
    total = figures["total"] or 0
    return {
        "day": today,
        "total": total,
        "total_label": f"{total:,}원",
        "count": figures["count"],
        "paid_total": figures["paid_total"] or 0,
        "paid_count": figures["paid_count"],
        "failed_count": figures["failed_count"],
    }


# --- the page ---------------------------------------------------------------------------------
def dashboard_figures(*, filters: Filters, now: datetime | None = None) -> DashboardFigures:
    """All figures of the dashboard for ``filters``, in ``QUERY_COUNT`` queries."""
    from templates_app.models import OutboundMessage

    now = now or timezone.now()
    cases = cases_in_range(filters)
    bucket = SeoulBucket("created_at", filters.bucket, output_field=DateField(), tzinfo=SEOUL)
    playbook_labels = {code: _playbook_label(code) for code in PlaybookCode.values}
    channel_labels = {code: str(label) for code, label in Channel.choices}

    # 1: one read of the range: cases by bucket, playbook, channel and outcome (a few
    # thousand rows at most: buckets x 5 playbooks x 4 channels x their outcomes)
    # (days the summary covers are summed from it: cases.dashboard.summary, issue 17.4)
    timeline = timeline_rows(cases, filters, bucket)
    by_playbook = _series(
        ({"bucket": r["bucket"], "key": r["playbook"], "n": r["n"]} for r in timeline),
        filters,
        playbook_labels,
    )
    by_channel = _series(
        ({"bucket": r["bucket"], "key": r["channel"], "n": r["n"]} for r in timeline),
        filters,
        channel_labels,
    )
    outcome_counts: Counter[tuple[str, str]] = Counter()
    for r in timeline:
        outcome_counts[(r["playbook"], r["outcome"])] += r["n"]
    by_outcome = [
        (playbook_labels[playbook], outcome or NO_OUTCOME, n)
        for (playbook, outcome), n in sorted(
            outcome_counts.items(),
            key=lambda item: (PlaybookCode.values.index(item[0][0]), -item[1], item[0][1]),
        )
    ]
    # 2: open now, by status
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    if filters.playbook:
        open_cases = open_cases.filter(playbook=filters.playbook)
    open_counts = {
        # COUNT(*), not COUNT(id): an index-only scan of case_open_status, no heap read
        r["status"]: r["n"]
        for r in open_cases.order_by().values("status").annotate(n=Count("*"))
    }
    open_by_status = [(str(Status(s).label), open_counts.get(s, 0)) for s in OPEN_STATUSES]
    # 3-5: overdue now, by step (and a label per step) and by counterparty
    overdue = open_overdue_clocks(filters.playbook)
    # The example label is the first step's of each group, read by primary key in a second
    # statement: a join would read a step row for every overdue clock.
    step_rows = list(
        overdue.values("playbook", "step_code").annotate(n=Count("pk"), first_step=Min("step_id"))
    )
    examples = dict(
        CaseStep.objects.filter(pk__in=[r["first_step"] for r in step_rows] or [0]).values_list(
            "pk", "label"
        )
    )
    overdue_by_step = sorted(
        (
            (
                playbook_labels[r["playbook"]],
                r["step_code"],
                examples.get(r["first_step"], ""),
                r["n"],
            )
            for r in step_rows
        ),
        key=lambda row: (-row[3], row[0], row[1]),
    )
    waits_labels = {code: str(label) for code, label in WaitingOn.choices}
    partner_rows = overdue.values("counterparty", "waits_on").annotate(n=Count("pk"))
    overdue_by_partner = sorted(
        (
            (
                r["counterparty"] or NO_COUNTERPARTY,
                waits_labels.get(r["waits_on"], "—"),
                r["n"],
            )
            for r in partner_rows
        ),
        key=lambda row: (-row[2], row[0]),
    )
    # 6: clocks marked overdue within the range (kept or broken since)
    marked = StepClock.objects.filter(
        overdue_marked_at__gte=filters.start, overdue_marked_at__lt=filters.end
    )
    if filters.playbook:
        marked = marked.filter(playbook=filters.playbook)
    overdue_in_range = marked.order_by().aggregate(n=Count("*"))["n"]
    # 7-9: median time to decision (from the duration summaries: cases.dashboard.summary)
    median_decision = median_time_to_decision(cases, filters)
    # 10: failed SMS of the range, by template: failed at once and dead-lettered (issue 16:
    # transient failures used every attempt) alike, neither reached the customer.
    failed = OutboundMessage.objects.filter(
        status__in=(OutboundMessage.Status.FAILED, OutboundMessage.Status.DEAD_LETTER),
        queued_at__gte=filters.start,
        queued_at__lt=filters.end,
    )
    if filters.playbook:
        failed = failed.filter(case__playbook=filters.playbook)
    messages_failed = sorted(
        (
            (r["template__name"], r["n"])
            for r in failed.order_by().values("template__name").annotate(n=Count("pk"))
        ),
        key=lambda row: (-row[1], row[0]),
    )
    # 11 (fines app): today's batch
    return DashboardFigures(
        filters=filters,
        generated_at=now,
        by_playbook=by_playbook,
        by_channel=by_channel,
        by_outcome=by_outcome,
        open_by_status=open_by_status,
        overdue_by_step=overdue_by_step,
        overdue_by_partner=overdue_by_partner,
        overdue_open=sum(row[3] for row in overdue_by_step),
        overdue_in_range=overdue_in_range,
        median_decision=median_decision,
        payout_today=payout_batch_today(now),
        messages_failed=messages_failed,
    )
