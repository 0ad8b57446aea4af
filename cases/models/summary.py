"""Dashboard summaries (issue 17.4): cases counted per Seoul day, kept current by a job.

At a million cases over two years the dashboard's scan of the range took 3.4 s. The counts it
draws (by day, playbook, channel and outcome) are sums of these rows instead: a two-year range
is at most 730 days x a few dozen combinations. ``cases.dashboard.summary`` writes them (the
beat job every minute, ``kmcs_dashboard_summary --rebuild`` for a full rebuild) and says up to
which day they are complete; the dashboard counts the days after that from the cases.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseDaySummary(models.Model):
    """How many cases came in on ``day`` (Seoul) for one playbook, channel and outcome."""

    day = models.DateField(_("접수일"))
    #: The first day of ``day``'s month. A ``whole_month`` row sums its month's day rows (and
    #: ``day == month``): a two-year range reads 24 month rows per combination, not 730 days.
    month = models.DateField(_("접수월"))
    whole_month = models.BooleanField(_("월 합계"), default=False)
    playbook = models.CharField(_("플레이북"), max_length=40)
    channel = models.CharField(_("접수 채널"), max_length=20)
    outcome = models.CharField(_("처리 결과 코드"), max_length=60, blank=True)
    cases = models.PositiveIntegerField(_("케이스 수"))

    class Meta:
        verbose_name = _("일별 케이스 집계")
        verbose_name_plural = _("일별 케이스 집계")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "whole_month", "playbook", "channel", "outcome"],
                name="case_day_summary_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day}{'~' if self.whole_month else ''} {self.playbook} {self.channel} {self.outcome or '-'}: {self.cases}"


class DecisionDurationSummary(models.Model):
    """Decided cases that came in on ``day`` (Seoul) for one playbook, whose time to decision
    (``decided_at - created_at``) falls in duration bucket ``bucket``, with those durations.

    The dashboard's median time to decision (issue 17.4) adds up ``cases`` per bucket over the
    range (a few dozen buckets per day and playbook, whatever the number of cases) to find the
    bucket that holds the middle case, then reads ``durations`` of that bucket only and picks
    the exact middle value(s): the median equals the one computed over every case, to the
    microsecond, without reading the cases. Buckets are ``cases.dashboard.summary.
    DURATION_BOUNDS`` (geometric, one minute to a year).
    """

    day = models.DateField(_("접수일"))
    #: As in :class:`CaseDaySummary`: ``whole_month`` rows hold their month's day rows merged.
    month = models.DateField(_("접수월"))
    whole_month = models.BooleanField(_("월 합계"), default=False)
    playbook = models.CharField(_("플레이북"), max_length=40)
    bucket = models.PositiveSmallIntegerField(_("소요 시간 구간"))
    cases = models.PositiveIntegerField(_("케이스 수"))
    #: The bucket's durations in microseconds, ascending (``len(durations) == cases``).
    durations = models.JSONField(_("소요 시간 (마이크로초)"), default=list)

    class Meta:
        verbose_name = _("일별 결정 소요 시간 집계")
        verbose_name_plural = _("일별 결정 소요 시간 집계")
        # The second read takes one bucket of one playbook over the range's days.
        indexes = [
            models.Index(
                fields=["playbook", "bucket", "whole_month", "day"], name="decision_duration_bucket"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "whole_month", "playbook", "bucket"],
                name="decision_duration_summary_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day}{'~' if self.whole_month else ''} {self.playbook} #{self.bucket}: {self.cases}"


class SummaryState(models.Model):
    """One row per summary: when it was last brought up to date (the next run re-counts the
    days of every case written since then) and the first day it does not cover yet."""

    name = models.CharField(max_length=40, unique=True)
    refreshed_at = models.DateTimeField()
    complete_before = models.DateField()
    #: ``complete_before`` 00:00 in Seoul: where the dashboard starts counting from the cases.
    complete_before_at = models.DateTimeField()

    class Meta:
        verbose_name = _("집계 상태")
        verbose_name_plural = _("집계 상태")

    def __str__(self) -> str:
        return f"{self.name}: {self.refreshed_at:%Y-%m-%d %H:%M}"
