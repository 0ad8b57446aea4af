"""The route table of seed 001 (which request goes where, how, and who may do it).

Split from ``partners/models.py`` (issue 14.9); ``partners.models`` re-exports every name here.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .channels import (
    Channel,
    Contact,
)
from .choices import (
    ROLE_SCOPE_CODES,
    Integration,
    LotInfoTopic,
    RequestKind,
    RoleScope,
)
from .sites import (
    Partner,
    SeedKeyed,
    Site,
    _unique_seed_key,
    site_kind_name,
    site_kind_problem,
)

#: The fields that together say which question a route answers. Two *active* routes with the
#: same key and overlapping effective dates would answer it twice: refused (services + DB).
ROUTE_KEY_FIELDS = (
    "request_kind",
    "partner",
    "site",
    "site_kind",
    "integration",
    "topic",
    "customer_agrees",
)

_EARLIEST = datetime.date(1900, 1, 1)
#: Error code of the DB-backed half of the overlap rule; screens replace its generic message by
#: the service's, which names the other route.
ROUTE_KEY_TAKEN = "route_key_taken"


def _route_key_expressions():
    # NULL is "any" in the key; UNIQUE treats NULLs as distinct on SQLite and PostgreSQL, so
    # nullable parts are coalesced to a sentinel the real values never take.
    return (
        "request_kind",
        Coalesce("partner", Value(0), output_field=models.BigIntegerField()),
        Coalesce("site", Value(0), output_field=models.BigIntegerField()),
        "site_kind",
        "integration",
        "topic",
        Coalesce(
            Cast("customer_agrees", models.IntegerField()),
            Value(-1),
            output_field=models.IntegerField(),
        ),
    )


class Route(SeedKeyed):
    request_kind = models.CharField(_("요청 유형"), max_length=30, choices=RequestKind.choices)
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="routes",
        verbose_name=_("운영사"),
        help_text=_("비우면 공통 (모든 운영사). '그 외'는 별도 운영사 행입니다."),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="routes",
        verbose_name=_("현장"),
        help_text=_("특정 현장에만 적용할 때 (예: 63빌딩 환불정책)."),
    )
    site_kind = models.CharField(
        _("현장 구분"),
        max_length=20,
        blank=True,
        help_text=_("현장 구분의 코드 (관리 화면 > 현장 구분). 비우면 현장 구분과 무관."),
    )
    integration = models.CharField(
        _("연동 구분"),
        max_length=20,
        choices=Integration.choices,
        blank=True,
        help_text=_("비우면 연동 구분과 무관."),
    )
    topic = models.CharField(
        _("정보수정 항목"),
        max_length=20,
        choices=LotInfoTopic.choices,
        blank=True,
        help_text=_("주차장 정보수정 요청에만: 주차요금 / 주소 및 기타 / 계약정보."),
    )
    customer_agrees = models.BooleanField(
        _("고객 수긍 여부"),
        null=True,
        blank=True,
        help_text=_("중도해지에만: 경과일 수 x 일최대요금 안내에 수긍 / 미수긍. 비우면 무관."),
    )
    detail = models.CharField(
        _("상세"), max_length=200, blank=True, help_text=_("시드 표의 '상세' 칸 문구.")
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="routes", verbose_name=_("채널")
    )
    alternative_channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("대체 채널"),
        help_text=_("시드가 '또는'으로 함께 적은 채널 (예: 핫라인, 아마노쉐어)."),
    )
    channel_via = models.CharField(
        _("운영사별 채널 사용"),
        max_length=30,
        choices=RequestKind.choices,
        blank=True,
        help_text=_(
            "처리방법이 '운영사별 채널로 요청'일 때: 이 요청 유형에서 해당 운영사가 쓰는 "
            "채널·수신자로 보냅니다 (예: 중도해지 수긍 → 정기권 차량번호 변경 채널)."
        ),
    )
    procedure = models.TextField(_("처리방법"))
    mention_contacts = models.ManyToManyField(
        Contact,
        through="RouteMention",
        related_name="mentioned_in_routes",
        blank=True,
        verbose_name=_("멘션"),
        help_text=_("아지트 멘션 담당자 (연락처 행). 담당자를 바꾸면 이 경로의 멘션도 바뀝니다."),
    )
    allowed_roles = models.CharField(
        _("변경권한"), max_length=10, choices=RoleScope.choices, default=RoleScope.LEADS
    )
    effective_from = models.DateField(_("적용 시작일"), null=True, blank=True)
    effective_until = models.DateField(
        _("적용 종료일"), null=True, blank=True, help_text=_("이 날까지 적용 (포함).")
    )
    effective_note = models.CharField(
        _("적용 시점 문구"), max_length=200, blank=True, help_text=_("예: 25.3월 정기권부터 적용")
    )
    pass_month_from = models.DateField(
        _("적용 정기권 시작월"),
        null=True,
        blank=True,
        help_text=_(
            "이 달(1일) 이후에 시작하는 정기권에만 적용합니다 (예: 2025-03-01 = '25.3월 정기권부터"
            " 적용'). 요청일이 아니라 정기권의 이용월로 판단합니다. 비우면 정기권 월과 무관."
        ),
    )
    notes = models.TextField(_("비고"), blank=True)
    is_active = models.BooleanField(_("사용"), default=True)
    # Optimistic lock: every save through partners.services bumps it, and a save that carries
    # an older number (two leads editing the same route) is refused, never silently merged.
    version = models.PositiveIntegerField(
        _("버전"),
        default=1,
        # Also a database default: rows written by code that predates the column (the seed
        # migration's historical models) start at 1 too.
        db_default=1,
        help_text=_(
            "저장할 때마다 1씩 올라갑니다. 다른 사람이 먼저 저장했는지 확인하는 데 씁니다."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("처리 경로")
        verbose_name_plural = _("처리 경로")
        ordering = ["request_kind", "partner__name", "site_kind", "integration", "topic", "id"]
        indexes = [models.Index(fields=["request_kind", "is_active"])]
        constraints = [
            _unique_seed_key("route"),
            # The DB's half of "no overlapping active routes" (the service checks the full date
            # overlap and names the other route). Expressible on SQLite and PostgreSQL alike:
            # two active open-ended routes for one key, or two active routes for one key that
            # start the same day, always overlap.
            models.UniqueConstraint(
                *_route_key_expressions(),
                condition=Q(is_active=True, effective_until__isnull=True),
                name="partners_route_one_open_active_per_key",
                violation_error_code=ROUTE_KEY_TAKEN,
                violation_error_message=_(
                    "같은 조건의 사용 중인 경로(종료일 없음)가 이미 있습니다."
                ),
            ),
            models.UniqueConstraint(
                *_route_key_expressions(),
                Coalesce("effective_from", Value(_EARLIEST), output_field=models.DateField()),
                condition=Q(is_active=True),
                name="partners_route_one_active_per_key_and_start",
                violation_error_code=ROUTE_KEY_TAKEN,
                violation_error_message=_(
                    "같은 조건·같은 시작일의 사용 중인 경로가 이미 있습니다."
                ),
            ),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_until__gte=models.F("effective_from")),
                name="partners_route_dates_in_order",
                violation_error_message=_("적용 종료일은 시작일보다 빠를 수 없습니다."),
            ),
        ]

    @property
    def site_kind_label(self) -> str:
        """The 현장 구분 as people read it: the name a list annotated (``site_kind_name``) or,
        for a single route, the row's name read now."""
        annotated = getattr(self, "site_kind_name", None)
        if annotated is not None or not self.site_kind:
            return annotated or self.site_kind
        return site_kind_name(self.site_kind)

    def __str__(self) -> str:
        parts = [self.get_request_kind_display()]
        parts.append(
            str(self.site) if self.site_id else (str(self.partner) if self.partner_id else "공통")
        )
        if self.site_kind:
            parts.append(self.site_kind_label)
        if self.integration:
            parts.append(self.get_integration_display())
        if self.topic:
            parts.append(self.get_topic_display())
        if self.customer_agrees is not None:
            parts.append("수긍" if self.customer_agrees else "미수긍")
        label = " · ".join(str(p) for p in parts)
        return f"#{self.pk} {label}" if self.pk else label

    def allowed_role_codes(self) -> frozenset[str]:
        """Role codes that may carry this route out (the seed's 변경권한 column)."""
        return ROLE_SCOPE_CODES[RoleScope(self.allowed_roles)]

    def mentions_on(self, day: datetime.date | None = None) -> tuple[str, ...]:
        """The @handles of the mention contacts in force on ``day`` (None: every active row), in
        the seed's order. Reads prefetched ``mention_links`` when present."""
        links = sorted(self.mention_links.all(), key=lambda m: (m.position, m.pk))
        handles = [
            link.contact.mention
            for link in links
            if link.contact.mention
            and (link.contact.in_force_on(day) if day is not None else link.contact.is_active)
        ]
        return tuple(dict.fromkeys(handles))

    @property
    def mention_list(self) -> tuple[str, ...]:
        return self.mentions_on(getattr(self, "asked_day", None))

    def key(self) -> tuple:
        return tuple(
            getattr(self, f"{name}_id" if name in ("partner", "site") else name)
            for name in ROUTE_KEY_FIELDS
        )

    def applies_on(self, day) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_until is None or day <= self.effective_until
        )

    def clean(self) -> None:
        errors: dict[str, list] = {}
        problem = site_kind_problem(self.site_kind, was=self._stored("site_kind"))
        if problem:
            errors.setdefault("site_kind", []).append(problem)
        if self.site_id:
            site_partner_id = self.site.partner_id
            if self.partner_id is None:
                # A site route belongs to the site's operator; fill it in so the key is clear.
                self.partner_id = site_partner_id
            elif self.partner_id != site_partner_id:
                errors.setdefault("site", []).append(
                    _("현장 '%(site)s'의 운영사는 '%(partner)s'입니다.")
                    % {"site": self.site, "partner": self.site.partner}
                )
        if self.topic and self.request_kind != RequestKind.LOT_INFO_CHANGE:
            errors.setdefault("topic", []).append(
                _("정보수정 항목은 '주차장 정보수정' 요청에만 지정합니다.")
            )
        if self.customer_agrees is not None and self.request_kind != RequestKind.MIDTERM_CANCEL:
            errors.setdefault("customer_agrees", []).append(
                _("고객 수긍 여부는 '정기권 중도해지·환불' 요청에만 지정합니다.")
            )
        if self.pass_month_from and self.pass_month_from.day != 1:
            errors.setdefault("pass_month_from", []).append(
                _("적용 정기권 시작월은 그 달 1일로 입력하세요 (예: 2025-03-01).")
            )
        if self.channel_via and self.channel_via == self.request_kind:
            errors.setdefault("channel_via", []).append(
                _("운영사별 채널은 다른 요청 유형에서 가져와야 합니다.")
            )
        if (
            self.effective_from
            and self.effective_until
            and self.effective_until < self.effective_from
        ):
            errors.setdefault("effective_until", []).append(
                _("적용 종료일은 시작일보다 빠를 수 없습니다.")
            )
        if self.channel_id:
            channel = self.channel
            if self.is_active and not channel.is_active:
                errors.setdefault("channel", []).append(
                    _("사용하지 않는 채널 '%(channel)s'은(는) 고를 수 없습니다.")
                    % {"channel": channel}
                )
            if channel.partner_id and self.partner_id and channel.partner_id != self.partner_id:
                errors.setdefault("channel", []).append(
                    _("채널 '%(channel)s'은(는) 다른 운영사(%(partner)s)의 채널입니다.")
                    % {"channel": channel, "partner": channel.partner}
                )
        if errors:
            raise ValidationError(errors)


class RouteMention(models.Model):
    """One @mention of a route (seed 001's "@owner4 @owner5 멘션"), as a contact row."""

    route = models.ForeignKey(
        Route, on_delete=models.CASCADE, related_name="mention_links", verbose_name=_("경로")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="route_links", verbose_name=_("담당자")
    )
    position = models.PositiveSmallIntegerField(_("순서"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("경로 멘션")
        verbose_name_plural = _("경로 멘션")
        ordering = ["route", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["route", "contact"],
                name="partners_routemention_unique",
                violation_error_message=_("이 경로에 같은 담당자 멘션이 이미 있습니다."),
            )
        ]

    def __str__(self) -> str:
        return str(self.contact)
