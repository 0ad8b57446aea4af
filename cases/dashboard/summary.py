"""Keeping :class:`~cases.models.CaseDaySummary` current, and reading the dashboard's counts
from it (issue 17.4).

:func:`summary_refresh` re-counts, from the cases, every Seoul day that holds a case written
since the previous run (``updated_at``, indexed), and only those days: a decision, an edit or a
closing moves its case's day. It runs from beat every minute (``cases.tasks.
dashboard_summary_refresh``) and from ``manage.py kmcs_dashboard_summary`` (``--rebuild``
re-counts every day). Runs overlap by :data:`OVERLAP` so a transaction that committed late,
with an earlier ``updated_at``, is still seen. The summary is complete for the days before
the day of its last run; the dashboard counts that day and later from the cases themselves.

The same runs keep :class:`~cases.models.DecisionDurationSummary` (per day and playbook, the
decided cases by duration bucket, with their exact durations), from which
:func:`decision_medians` takes the dashboard's median time to decision.

A case deleted outright (never done by the services) leaves its day counted until the next
``--rebuild``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, DateField, DateTimeField, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from cases.models import Case, CaseDaySummary, DecisionDurationSummary, SummaryState
from kmcs_site.business_time import SEOUL

NAME = "case_day"
#: Before any case: where the dashboard counts from when there is no summary yet.
EPOCH = datetime(2000, 1, 1, tzinfo=SEOUL)
#: How far back each run looks again beyond the previous run's start.
OVERLAP = timedelta(minutes=5)

_MINUTE_US = 60_000_000
#: Upper bounds (exclusive, microseconds) of the duration buckets but the last: under a minute,
#: then each bucket 20 % wider than the one before, up to a year; longer ones share the last.
#: About 70 buckets: a day of one playbook is a few dozen rows whatever its volume, and the
#: bucket that holds the median holds a small share of the range's decided cases.
DURATION_BOUNDS: tuple[int, ...] = tuple(
    sorted({int(_MINUTE_US * 1.2**k) for k in range(0, 200) if 1.2**k <= 366 * 24 * 60})
)


def duration_bucket(microseconds: int) -> int:
    """The bucket of a duration: ascending with the duration (a negative one goes to 0)."""
    return bisect.bisect_right(DURATION_BOUNDS, microseconds)


def decision_microseconds(created_at: datetime, decided_at: datetime) -> int:
    """``decided_at - created_at`` in whole microseconds (exact: no float on the way)."""
    return (decided_at - created_at) // timedelta(microseconds=1)


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
        CaseDaySummary.objects.filter(day=day, whole_month=False).delete()
        CaseDaySummary.objects.bulk_create(
            CaseDaySummary(
                day=day,
                month=day.replace(day=1),
                playbook=r["playbook"],
                channel=r["channel"],
                outcome=r["outcome"] or "",
                cases=r["n"],
            )
            for r in rows
        )
        written += len(rows)
        decided = Case.objects.filter(
            created_at__gte=_day_start(day),
            created_at__lt=_day_start(day + timedelta(days=1)),
            decided_at__isnull=False,
        ).order_by()
        DecisionDurationSummary.objects.filter(day=day, whole_month=False).delete()
        DecisionDurationSummary.objects.bulk_create(
            _duration_rows(decided.values_list("playbook", "created_at", "decided_at").iterator())
        )
    _roll_up({day.replace(day=1) for day in days})
    return written


def _roll_up(months) -> None:
    """Rewrite the ``whole_month`` rows of ``months`` from their day rows (a month row is read
    only once every day of its month is complete, but is kept current with each day)."""
    for month in sorted(months):
        CaseDaySummary.objects.filter(month=month, whole_month=True).delete()
        sums = (
            CaseDaySummary.objects.filter(month=month, whole_month=False)
            .order_by()
            .values("playbook", "channel", "outcome")
            .annotate(n=Sum("cases"))
        )
        CaseDaySummary.objects.bulk_create(
            CaseDaySummary(
                day=month,
                month=month,
                whole_month=True,
                playbook=r["playbook"],
                channel=r["channel"],
                outcome=r["outcome"],
                cases=r["n"],
            )
            for r in sums
        )
        DecisionDurationSummary.objects.filter(month=month, whole_month=True).delete()
        merged: dict[tuple[str, int], list[int]] = defaultdict(list)
        for playbook, bucket, durations in DecisionDurationSummary.objects.filter(
            month=month, whole_month=False
        ).values_list("playbook", "bucket", "durations"):
            merged[(playbook, bucket)] += durations
        DecisionDurationSummary.objects.bulk_create(
            (
                DecisionDurationSummary(
                    day=month,
                    month=month,
                    whole_month=True,
                    playbook=playbook,
                    bucket=bucket,
                    cases=len(values),
                    durations=sorted(values),
                )
                for (playbook, bucket), values in merged.items()
            ),
            batch_size=500,
        )


def _duration_rows(cases) -> list[DecisionDurationSummary]:
    """Histogram rows from ``(playbook, created_at, decided_at)`` of decided cases."""
    buckets: dict[tuple[date, str, int], list[int]] = defaultdict(list)
    for playbook, created_at, decided_at in cases:
        micros = decision_microseconds(created_at, decided_at)
        day = timezone.localtime(created_at, SEOUL).date()
        buckets[(day, playbook, duration_bucket(micros))].append(micros)
    return [
        DecisionDurationSummary(
            day=day,
            month=day.replace(day=1),
            playbook=playbook,
            bucket=bucket,
            cases=len(values),
            durations=sorted(values),
        )
        for (day, playbook, bucket), values in buckets.items()
    ]


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
                        month=_as_date(r["day"]).replace(day=1),
                        playbook=r["playbook"],
                        channel=r["channel"],
                        outcome=r["outcome"] or "",
                        cases=r["n"],
                    )
                    for r in grouped.iterator(chunk_size=5000)
                ),
                batch_size=5000,
            )
            DecisionDurationSummary.objects.all().delete()
            decided = (
                Case.objects.filter(decided_at__isnull=False)
                .order_by()
                .values_list("playbook", "created_at", "decided_at")
            )
            DecisionDurationSummary.objects.bulk_create(
                _duration_rows(decided.iterator(chunk_size=10_000)), batch_size=2000
            )
            _roll_up({row.month for row in written})
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


def _whole_months(filters) -> tuple[date, date]:
    """The first days of the first and the last calendar month lying wholly in the range
    (``first > last`` when there is none)."""
    first = filters.date_from
    if first.day != 1:
        first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = filters.date_to + timedelta(days=1)
    last = (after.replace(day=1) - timedelta(days=1)).replace(day=1)
    return first, last


def covered(filters, *, months: bool = True) -> Q:
    """The summary rows that stand for the days of the range the summary covers (before its
    ``complete_before``): the month rows of the range's whole months that are complete, and
    the day rows of every other covered day. ``months=False``: day rows only (a timeline by
    day or by week cannot use a month's total)."""
    state = SummaryState.objects.filter(name=NAME)
    complete_before = Subquery(state.values("complete_before")[:1])
    first_open_month = Subquery(
        state.annotate(m=Trunc("complete_before", "month", output_field=DateField())).values("m")[
            :1
        ]
    )
    first, last = _whole_months(filters) if months else (date.max, date.min)
    whole = Q(month__gte=first, month__lte=last, month__lt=first_open_month)
    days = Q(
        whole_month=False,
        day__gte=filters.date_from,
        day__lte=filters.date_to,
        day__lt=complete_before,
    )
    return (Q(whole_month=True) & whole) | (days & ~whole)


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
    summed = CaseDaySummary.objects.filter(covered(filters, months=filters.bucket == "month"))
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


def decision_medians(cases, filters) -> list[tuple[str, timedelta, int]]:
    """Median time to decision per playbook code of the decided ``cases`` of ``filters``:
    ``[(playbook, median, decided), ...]``, in THREE statements whatever the number of cases.

    1. the decided cases from the summary's ``complete_before`` on, counted live (the days the
       summary does not cover yet: since the last run, a day's cases at most);
    2. the summary's cases per playbook and bucket over the covered days of the range (at most
       buckets x playbooks rows back);
    3. the durations of the one or two buckets per playbook that hold the middle rank(s).

    The median is the middle duration, or the mean of the middle two for an even count (as
    ``statistics.median``), exact to the microsecond.
    """
    state = SummaryState.objects.filter(name=NAME)
    live = cases.filter(
        decided_at__isnull=False,
        created_at__gte=Coalesce(
            Subquery(state.values("complete_before_at")[:1]),
            Value(EPOCH, output_field=DateTimeField()),
        ),
    ).values_list("playbook", "created_at", "decided_at")
    live_values: dict[tuple[str, int], list[int]] = defaultdict(list)
    for playbook, created_at, decided_at in live:
        micros = decision_microseconds(created_at, decided_at)
        live_values[(playbook, duration_bucket(micros))].append(micros)

    summed = DecisionDurationSummary.objects.filter(covered(filters))
    if filters.playbook:
        summed = summed.filter(playbook=filters.playbook)
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for playbook, bucket, n in (
        summed.order_by()
        .values("playbook", "bucket")
        .annotate(n=Sum("cases"))
        .values_list("playbook", "bucket", "n")
    ):
        counts[playbook][bucket] += n
    for (playbook, bucket), values in live_values.items():
        counts[playbook][bucket] += len(values)

    # where the middle ranks (0-based) fall: playbook -> [(rank, bucket, rank in bucket)]
    middles: dict[str, list[tuple[int, int]]] = {}
    totals: dict[str, int] = {}
    for playbook, per_bucket in counts.items():
        total = sum(per_bucket.values())
        if not total:
            continue
        totals[playbook] = total
        wanted = sorted({(total - 1) // 2, total // 2})
        found, seen = [], 0
        for bucket in sorted(per_bucket):
            n = per_bucket[bucket]
            found += [(bucket, rank - seen) for rank in wanted if seen <= rank < seen + n]
            seen += n
        middles[playbook] = found
    needed = {(playbook, bucket) for playbook, found in middles.items() for bucket, _ in found}
    which = Q(bucket__lt=0)  # no bucket wanted: still one (empty) statement, the count is fixed
    for playbook, bucket in needed:
        which |= Q(playbook=playbook, bucket=bucket)
    values: dict[tuple[str, int], list[int]] = defaultdict(list)
    for playbook, bucket, durations in summed.filter(which).values_list(
        "playbook", "bucket", "durations"
    ):
        values[(playbook, bucket)] += durations
    out = []
    for playbook, found in middles.items():
        picked = []
        for bucket, index in found:
            in_bucket = sorted(values[(playbook, bucket)] + live_values[(playbook, bucket)])
            picked.append(timedelta(microseconds=in_bucket[index]))
        median = picked[0] if len(picked) == 1 else (picked[0] + picked[1]) / 2
        out.append((playbook, median, totals[playbook]))
    return out
