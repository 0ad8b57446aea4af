"""상담유형: the consultation-type tree (서비스 ▶ 대분류 ▶ 중분류 ▶ 소분류). Every case has one leaf."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.consultation_types import SEPARATOR, path_label


class ConsultationTypeQuerySet(models.QuerySet):
    def leaves(self):
        return self.filter(is_leaf=True, is_active=True)

    def leaf_for_path(self, path: tuple[str, ...] | list[str]) -> ConsultationType:
        """The leaf whose full path is ``path``; ``DoesNotExist`` if the tree has no such leaf.

        Only active leaves: a type switched off is kept for old cases, not chosen anew. The full path label is unique, so this is one indexed lookup, not a walk down the tree.
        """
        return self.get(path_label=path_label(tuple(path)), is_leaf=True, is_active=True)


class ConsultationType(models.Model):
    parent = models.ForeignKey(
        "self",
        verbose_name=_("상위 유형"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    name = models.CharField(_("이름"), max_length=60)
    level = models.PositiveSmallIntegerField(_("단계"), help_text=_("1 = 서비스, 2 = 대분류, ..."))
    path_label = models.CharField(_("전체 경로"), max_length=300, unique=True)
    is_leaf = models.BooleanField(_("최하위 유형"), default=False)
    is_active = models.BooleanField(_("사용"), default=True)

    history = HistoricalRecords()
    objects = ConsultationTypeQuerySet.as_manager()

    class Meta:
        verbose_name = _("상담유형")
        verbose_name_plural = _("상담유형")
        ordering = ["path_label"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="consultation_type_unique_child"
            ),
        ]

    def __str__(self) -> str:
        return self.path_label

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.path_label.split(SEPARATOR))
