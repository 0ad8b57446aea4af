"""Step clocks: the time promise of one playbook step, kept as data on the case.

A step that waits on someone (customer, driver, partner, CPO, internal team, payout batch) or
that carries a due rule starts a clock when the decision writes it. The clock knows when the
promise falls due (``due_at``, Asia/Seoul business time, ``kmcs_site.business_time``), stands
still while the case waits on the customer (``paused_at``; its due time moves on resume), stops
when the step is done, replaced or the case closes, and is marked once by the overdue job.

A separate row (not columns on ``CaseStep``) so the checklist stays what the decision wrote,
the overdue scan and the dashboard read one narrow indexed table, and every change of a promise
has its own history row (who paused it, when the job marked it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models.choices import PlaybookCode, WaitingOn


class ClockStop(models.TextChoices):
    DONE = "done", _("단계 완료")
    SKIPPED = "skipped", _("재결정으로 대체")
    CASE_CLOSED = "case_closed", _("케이스 종결")
    NOT_APPLICABLE = "not_applicable", _("해당 없음 처리")
    #: The CPO's / partner's reply mail arrived (issue 16): the wait is over, the step is the
    #: agent's again.
    REPLY_RECEIVED = "reply_received", _("회신 수신")


class StepClock(models.Model):
    step = models.OneToOneField(
        "cases.CaseStep",
        verbose_name=_("처리 단계"),
        on_delete=models.CASCADE,
        related_name="clock",
    )
    #: Copied from the step: the overdue queue and the dashboard group without joining steps.
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("케이스"), on_delete=models.CASCADE, related_name="clocks"
    )
    playbook = models.CharField(_("플레이북"), max_length=40, choices=PlaybookCode.choices)
    step_code = models.CharField(_("단계 코드"), max_length=60)
    waits_on = models.CharField(
        _("대기 대상"), max_length=20, blank=True, choices=WaitingOn.choices
    )
    rule = models.CharField(
        _("기한 규칙"), max_length=60, help_text=_("플레이북이 준 규칙 (예: service_level:team)")
    )
    effective_rule = models.CharField(
        _("적용 규칙"), max_length=60, help_text=_("시작 시점에 풀어 쓴 규칙 (예: business_days:3)")
    )
    pauses_on_customer = models.BooleanField(_("고객 대기 시 일시정지"), default=False)
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("운영사"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    counterparty = models.CharField(
        _("상대방"), max_length=100, blank=True, help_text=_("운영사 이름, CPO 이름 등")
    )

    started_at = models.DateTimeField(_("시작 시각"))
    due_at = models.DateTimeField(_("기한"))
    paused_at = models.DateTimeField(_("일시정지 시각"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("일시정지 누계 (초)"), default=0)
    stopped_at = models.DateTimeField(_("종료 시각"), null=True, blank=True)
    stop_reason = models.CharField(
        _("종료 사유"), max_length=20, blank=True, choices=ClockStop.choices
    )
    overdue_marked_at = models.DateTimeField(_("기한 초과 표시 시각"), null=True, blank=True)
    notified_at = models.DateTimeField(_("기한 초과 알림 시각"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("단계 기한")
        verbose_name_plural = _("단계 기한")
        ordering = ["due_at", "id"]
        indexes = [
            # The overdue job's scan: running clocks not yet marked, by due time.
            models.Index(
                fields=["due_at"],
                condition=Q(stopped_at__isnull=True, overdue_marked_at__isnull=True),
                name="clock_running_unmarked_due",
            ),
            # The overdue queue and the dashboard's "overdue by step": open and marked.
            models.Index(
                fields=["playbook", "step_code"],
                condition=Q(stopped_at__isnull=True, overdue_marked_at__isnull=False),
                name="clock_open_overdue",
            ),
            models.Index(fields=["overdue_marked_at"], name="clock_overdue_marked"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True, stop_reason="")
                | (Q(stopped_at__isnull=False) & ~Q(stop_reason="")),
                name="clock_stop_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=models.F("started_at")), name="clock_due_after_start"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"#{self.case_id} {self.step_code} → {timezone.localtime(self.due_at):%Y-%m-%d %H:%M}"
        )

    # --- derived, never stored ------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self.stopped_at is None

    @property
    def is_paused(self) -> bool:
        return self.is_running and self.paused_at is not None

    def remaining(self, now: datetime | None = None) -> timedelta:
        """Time left (negative: overdue). A paused clock stands still at its pause; a stopped
        one says how early (positive) or late (negative) the step was done."""
        if self.stopped_at is not None:
            until = self.stopped_at
        elif self.paused_at is not None:
            until = self.paused_at
        else:
            until = now or timezone.now()
        return self.due_at - until

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.remaining(now) < timedelta(0)
