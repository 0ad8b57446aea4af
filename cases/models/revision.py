"""Fact revisions: what a case learned after intake, who recorded it, and what it changed.

Real cases learn facts late: the CPO or the team answers (seed 003 "답변 기록 후 다시 판단"),
the customer accepts or rejects a refund figure (seed 001 "고객 수긍/미수긍"), a lead fills the
fact a ``needs_review`` case lacked (seed 002). Each revision is one row, written by
``cases.services.revisions.case_revise_facts`` only: the facts before and after, the names of
the facts that changed, the proposal before and the one the new facts produce (the case page
shows them side by side), and the acting user. A row of its own, not only the case's history,
because the timeline and the case page read "what changed and what it did to the proposal"
directly, without diffing JSON history rows.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models.choices import Status


class FactRevision(models.Model):
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("케이스"),
        on_delete=models.CASCADE,
        related_name="fact_revisions",
    )
    #: 1, 2, 3... per case: "수정 2" reads better than a table id.
    number = models.PositiveIntegerField(_("수정 번호"))
    note = models.TextField(_("수정 사유"), blank=True)
    facts_before = models.JSONField(_("수정 전 사실관계"), default=dict, encoder=DjangoJSONEncoder)
    facts_after = models.JSONField(_("수정 후 사실관계"), default=dict, encoder=DjangoJSONEncoder)
    changed = models.JSONField(_("바뀐 항목"), default=list)
    status_at = models.CharField(
        _("수정 당시 상태"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    outcome_before = models.CharField(_("수정 전 처리 결과"), max_length=60, blank=True)
    outcome_after = models.CharField(_("수정 후 처리 결과"), max_length=60, blank=True)
    proposal_before = models.JSONField(
        _("수정 전 제안"), null=True, blank=True, encoder=DjangoJSONEncoder
    )
    proposal_after = models.JSONField(
        _("수정 후 제안"), null=True, blank=True, encoder=DjangoJSONEncoder
    )
    proposal_error = models.TextField(
        _("제안 오류"), blank=True, help_text=_("새 사실관계로 제안을 만들지 못한 이유")
    )
    #: A decided case's plan was redone: pending steps and messages replaced.
    replanned = models.BooleanField(_("처리 단계 재작성"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("수정자"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("수정 시각"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("사실관계 수정")
        verbose_name_plural = _("사실관계 수정")
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="fact_revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"사실관계 수정 {self.number} ({timezone.localtime(self.created_at):%Y-%m-%d %H:%M})"
