"""Keeping :class:`~cases.models.CaseDaySummary` current, and reading the dashboard's counts
from it (issue 17.4).

:func:`summary_refresh` re-counts, from the cases, every Seoul day that holds a case written
since the previous run (``updated_at``, indexed), and only those days: a decision, an edit or a
closing moves its case's day. It runs from beat every minute (``cases.tasks.
dashboard_summary_refresh``) and from ``manage.py kmcs_dashboard_summary`` (``--rebuild``
re-counts every day). Runs overlap by :data:`OVERLAP` so a transaction that committed late,
with an earlier ``updated_at``, is still seen. The summary is complete for the days before
the day of its last run; the dashboard counts that day and later from the cases themselves.

A case deleted outright (never done by the services) leaves its day counted until the next
``--rebuild``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, DateField, DateTimeField, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from cases.models import Case, CaseDaySummary, SummaryState
from kmcs_site.business_time import SEOUL

NAME = "case_day"
#: Before any case: where the dashboard counts from when there is no summary yet.
EPOCH = datetime(2000, 1, 1, tzinfo=SEOUL)
#: How far back each run looks again beyond the previous run's start.
OVERLAP = timedelta(minutes=5)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, SEOUL)


def _seoul_day(column: str):
    from cases.dashboard.figures import SeoulBucket

    return SeoulBucket(column, "day", output_field=DateField(), tzinfo=SEOUL)


def _recount(days: list[date]) -> int:
    """Replace the rows of ``days`` with fresh counts; returns the rows written."""
    written = 0
    for day in sorted(set(days)):
        rows = (
            Case.objects.filter(
                created_at__gte=_day_start(day), created_at__lt=_day_start(day + timedelta(days=1))
            )
            .order_by()
            .values("playbook", "channel", "outcome")
            .annotate(n=Count("pk"))
        )
        CaseDaySummary.objects.filter(day=day).delete()
        CaseDaySummary.objects.bulk_create(
            CaseDaySummary(
                day=day,
                playbook=r["playbook"],
                channel=r["channel"],
                outcome=r["outcome"] or "",
                cases=r["n"],
            )
            for r in rows
        )
        written += len(rows)
    return written


def summary_refresh(*, now: datetime | None = None, rebuild: bool = False) -> dict:
    """Bring the summary up to date; returns ``{"days": n, "rows": n}``."""
    now = now or timezone.now()
    with transaction.atomic():
        state = SummaryState.objects.select_for_update().filter(name=NAME).first()
        if state is None or rebuild:
            # every day in one GROUP BY (a day at a time would be 730 statements for two years)
            CaseDaySummary.objects.all().delete()
            grouped = (
                Case.objects.order_by()
                .annotate(day=_seoul_day("created_at"))
                .values("day", "playbook", "channel", "outcome")
                .annotate(n=Count("pk"))
            )
            written = CaseDaySummary.objects.bulk_create(
                (
                    CaseDaySummary(
                        day=_as_date(r["day"]),
                        playbook=r["playbook"],
                        channel=r["channel"],
                        outcome=r["outcome"] or "",
                        cases=r["n"],
                    )
                    for r in grouped.iterator(chunk_size=5000)
                ),
                batch_size=5000,
            )
            _save_state(now)
            return {"days": len({row.day for row in written}), "rows": len(written)}
        days = list(
            Case.objects.filter(updated_at__gte=state.refreshed_at - OVERLAP)
            .order_by()
            .annotate(day=_seoul_day("created_at"))
            .values_list("day", flat=True)
            .distinct()
        )
        days = [_as_date(d) for d in days]
        rows = _recount(days)
        _save_state(now)
    return {"days": len(set(days)), "rows": rows}


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _save_state(now: datetime) -> None:
    today = timezone.localtime(now, SEOUL).date()
    SummaryState.objects.update_or_create(
        name=NAME,
        defaults={
            "refreshed_at": now,
            "complete_before": today,
            "complete_before_at": _day_start(today),
        },
    )


def timeline_rows(cases, filters, bucket) -> list[dict]:
    """The dashboard's scan of the range (``bucket, playbook, channel, outcome, n``): the days
    the summary covers summed from it, the rest counted from ``cases``, in ONE statement (a
    UNION ALL whose two halves split on the summary's ``complete_before``, read by subquery);
    without a summary yet, every day is counted from ``cases`` as before."""
    state = SummaryState.objects.filter(name=NAME)
    live = (
        cases.filter(
            created_at__gte=Coalesce(
                Subquery(state.values("complete_before_at")[:1]),
                Value(EPOCH, output_field=DateTimeField()),
            )
        )
        .annotate(bucket=bucket)
        .values("bucket", "playbook", "channel", "outcome")
        .annotate(n=Count("pk"))
    )
    summed = CaseDaySummary.objects.filter(
        day__gte=filters.date_from,
        day__lte=filters.date_to,
        day__lt=Subquery(state.values("complete_before")[:1]),
    )
    if filters.playbook:
        summed = summed.filter(playbook=filters.playbook)
    summed = (
        summed.order_by()
        .annotate(bucket=Trunc("day", filters.bucket, output_field=DateField()))
        .values("bucket", "playbook", "channel", "outcome")
        .annotate(n=Sum("cases"))
    )
    rows: dict[tuple, int] = {}
    for row in live.union(summed, all=True):
        day = row["bucket"].date() if isinstance(row["bucket"], datetime) else row["bucket"]
        key = (day, row["playbook"], row["channel"], row["outcome"] or "")
        rows[key] = rows.get(key, 0) + row["n"]
    return [
        {"bucket": b, "playbook": p, "channel": c, "outcome": o, "n": n}
        for (b, p, c, o), n in rows.items()
    ]
