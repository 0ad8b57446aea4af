"""Partners (운영사), the kinds of site and the sites.

Split from ``partners/models.py`` (issue 14.9); ``partners.models`` re-exports every name here.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    Integration,
)


class SeedKeyed(models.Model):
    """``seed_key`` ties a row to its line in ``partners/seed_data.py`` so bootstrap can tell
    "missing" from "edited by a person" (names people may rename; the key never changes)."""

    seed_key = models.CharField(
        _("기준 데이터 키"),
        max_length=120,
        blank=True,
        default="",
        editable=False,
        help_text=_("시드 001에서 적재된 행의 식별자. 사람이 만든 행은 비어 있습니다."),
    )

    class Meta:
        abstract = True

    def _stored(self, field: str) -> str:
        """``field`` as saved ('' for a new row): what a rule may let an edit keep."""
        if self.pk is None:
            return ""
        rows = type(self)._default_manager.filter(pk=self.pk)
        return rows.values_list(field, flat=True).first() or ""


def _unique_seed_key(model: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["seed_key"],
        condition=~Q(seed_key=""),
        name=f"partners_{model}_unique_seed_key",
        violation_error_message=_("같은 기준 데이터 키의 행이 이미 있습니다."),
    )


class Partner(SeedKeyed):
    code = models.SlugField(
        _("코드"),
        max_length=40,
        unique=True,
        help_text=_("API·데이터에서 쓰는 고정 코드 (예: kmpark). 한 번 정하면 바꾸지 않습니다."),
    )
    name = models.CharField(_("이름"), max_length=100)
    notes = models.TextField(_("비고"), blank=True)
    is_active = models.BooleanField(_("사용"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("운영사")
        verbose_name_plural = _("운영사")
        ordering = ["name"]
        constraints = [_unique_seed_key("partner")]

    def __str__(self) -> str:
        return self.name


class SiteKindOption(models.Model):
    """A kind of site (현장 구분) the route table and the parking-operations cases may name: a
    row a lead adds, renames or retires in the admin, with history. Routes and sites name it by
    its fixed ``code``; a retired kind is no longer offered or accepted on new rows."""

    code = models.SlugField(
        _("코드"),
        max_length=20,
        unique=True,
        error_messages={"unique": _("같은 코드의 현장 구분이 이미 있습니다.")},
        help_text=_(
            "경로·현장·케이스가 쓰는 고정 코드 (예: manual_normal). 정한 뒤 바꾸지 않습니다."
        ),
    )
    name = models.CharField(_("이름"), max_length=60)
    position = models.PositiveSmallIntegerField(_("표시 순서"), default=10)
    is_active = models.BooleanField(_("사용"), default=True)
    notes = models.CharField(_("비고"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("현장 구분")
        verbose_name_plural = _("현장 구분")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


def site_kind_name(code: str) -> str:
    """The name a lead gave the 현장 구분 ``code`` (retired rows too); the code itself when no
    row has it, so an old row still says what it named. One query: for one object's name, not
    for a list (lists annotate the name, see ``partners.selectors.with_site_kind_name``)."""
    if not code:
        return ""
    name = SiteKindOption.objects.filter(code=code).values_list("name", flat=True).first()
    return name or code


def site_kind_problem(code: str, *, was: str = "") -> str:
    """A Korean error when ``code`` is not a site kind in use ('' when fine). A row that already
    named a kind a lead since retired may keep it (``was``)."""
    if not code or code == was:
        return ""
    if SiteKindOption.objects.filter(code=code, is_active=True).exists():
        return ""
    return _(
        "현장 구분 '%(code)s'은(는) 사용 중인 현장 구분이 아닙니다 (관리 화면 > 현장 구분)."
    ) % {"code": code}


class Site(SeedKeyed):
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="sites", verbose_name=_("운영사")
    )
    name = models.CharField(_("현장명"), max_length=120)
    kind = models.CharField(
        _("현장 구분"),
        max_length=20,
        blank=True,
        help_text=_(
            "현장 구분의 코드 (관리 화면 > 현장 구분). 모르면 비워 둡니다 (경로를 찾을 때 현장 "
            "구분을 따로 지정해야 할 수 있음)."
        ),
    )
    integration = models.CharField(
        _("연동 구분"), max_length=20, choices=Integration.choices, blank=True
    )
    district = models.CharField(
        _("지역"), max_length=60, blank=True, help_text=_("예: 서울 성북구")
    )
    routes_like = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("처리 기준 운영사"),
        help_text=_(
            "이 현장 요청을 다른 운영사 현장과 똑같이 처리할 때 지정합니다 "
            "(예: 케이트윈타워 → 아마노코리아). 비우면 현장의 운영사를 따릅니다."
        ),
    )
    special_policy = models.TextField(
        _("특별 정책"), blank=True, help_text=_("현장별 예외 정책 (시드 001 표 7 등).")
    )
    notes = models.TextField(_("비고"), blank=True)
    is_active = models.BooleanField(_("사용"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("현장")
        verbose_name_plural = _("현장")
        ordering = ["name"]
        constraints = [
            _unique_seed_key("site"),
            models.UniqueConstraint(
                fields=["partner", "name"],
                name="partners_site_unique_name_per_partner",
                violation_error_message=_("같은 운영사에 같은 이름의 현장이 이미 있습니다."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def routing_partner(self) -> Partner:
        return self.routes_like or self.partner

    def clean(self) -> None:
        problem = site_kind_problem(self.kind, was=self._stored("kind"))
        if problem:
            raise ValidationError({"kind": problem})
