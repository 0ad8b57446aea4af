"""The proposal's steps as the case's checklist, with who did each and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models.choices import StepKind, StepStatus, WaitingOn


class CaseStep(models.Model):
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("케이스"), on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveSmallIntegerField(_("순서"))
    code = models.CharField(_("코드"), max_length=60)
    label = models.CharField(_("단계"), max_length=300)
    #: Role codes that may carry the step out (kmcs_site.permissions.Role values).
    roles = models.JSONField(_("처리 가능 역할"), default=list)
    kind = models.CharField(_("종류"), max_length=20, choices=StepKind.choices)
    script = models.TextField(_("안내 스크립트"), blank=True)
    waits_on = models.CharField(
        _("대기 대상"), max_length=20, blank=True, choices=WaitingOn.choices
    )
    due_rule = models.CharField(_("기한 규칙"), max_length=60, blank=True)
    #: Sends its messages by itself once every earlier step is done (Step.auto of the playbook).
    auto = models.BooleanField(_("자동 진행"), default=False)
    status = models.CharField(
        _("상태"), max_length=20, choices=StepStatus.choices, default=StepStatus.PENDING
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("처리자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("처리 시각"), null=True, blank=True)
    #: Why a person marked the step not applicable (required for that status).
    na_reason = models.TextField(_("해당 없음 사유"), blank=True)
    created_at = models.DateTimeField(_("생성 시각"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("처리 단계")
        verbose_name_plural = _("처리 단계")
        ordering = ["case", "order"]
        constraints = [
            models.UniqueConstraint(fields=["case", "order"], name="case_step_unique_order"),
            models.CheckConstraint(
                condition=~Q(status="not_applicable") | ~Q(na_reason=""),
                name="case_step_na_has_reason",
                violation_error_message=_("해당 없음으로 처리하려면 사유를 입력해야 합니다."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.label}"

    @property
    def roles_set(self) -> frozenset[str]:
        return frozenset(self.roles or ())

    @property
    def is_settled(self) -> bool:
        """Done or not applicable: no longer blocks closing or the steps after it."""
        return self.status in (StepStatus.DONE, StepStatus.NOT_APPLICABLE)
