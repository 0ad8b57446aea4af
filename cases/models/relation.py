"""Related cases (issue 14.3): a link between two cases, and a duplicate merged into its original.

A link is a row of its own (not a field on the case) because a case has any number of them and
each says who linked it, when and why. ``case`` is the case the link was made on (the newer
inquiry, the follow-up, the duplicate) and ``other`` the case it points to (the earlier one, the
original). A merge is a link of kind :attr:`LinkKind.MERGED` from the duplicate to its original:
the duplicate keeps every row it has (steps, messages, history), is closed by the merge and
points to the original through that link; the original's timeline shows it.

Written only by ``cases.services.relations``; simple-history keeps every change of a link.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class LinkKind(models.TextChoices):
    SAME_TID = "same_tid", _("같은 TID")
    SAME_CALL = "same_call", _("같은 콜 ID")
    FOLLOW_UP = "follow_up", _("후속 문의")
    DUPLICATE = "duplicate", _("중복 접수")
    MERGED = "merged", _("병합")


class CaseLink(models.Model):
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("케이스"),
        on_delete=models.PROTECT,
        related_name="links_made",
    )
    other = models.ForeignKey(
        "cases.Case",
        verbose_name=_("연결된 케이스"),
        on_delete=models.PROTECT,
        related_name="links_received",
    )
    kind = models.CharField(_("관계"), max_length=20, choices=LinkKind.choices)
    note = models.CharField(_("메모"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("연결한 사람"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("연결 시각"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("관련 케이스")
        verbose_name_plural = _("관련 케이스")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["other", "kind"], name="caselink_other_kind")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "other", "kind"],
                name="caselink_unique_kind",
                violation_error_message=_("이미 같은 관계로 연결된 케이스입니다."),
            ),
            # A duplicate is merged once: one MERGED link per case.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(kind="merged"),
                name="caselink_merged_once",
                violation_error_message=_("이미 다른 케이스로 병합된 케이스입니다."),
            ),
            models.CheckConstraint(
                condition=~Q(case=F("other")),
                name="caselink_not_self",
                violation_error_message=_("케이스를 자기 자신과 연결할 수 없습니다."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LinkKind.values), name="caselink_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} → #{self.other_id} ({self.get_kind_display()})"
