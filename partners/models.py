"""Partners (운영사), their sites, channels, contacts and the route table of seed 001.

A *route* answers "for this kind of request, at this operator / kind of site, where do we send
it, how, and who may do it?" (seed 001 tables 2-7). Routes are data so leads can keep them
current in the admin; the rules that keep the table consistent (no two active routes for the
same question, e-mail channels with recipients...) live in ``clean()`` and in
``partners.services`` so the admin and code paths share them, with DB constraints behind them.

Stable codes are English (``DOMAIN.md`` shared vocabulary); labels and messages are Korean.
"""

from __future__ import annotations

import datetime
from email.utils import getaddresses

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

#: Demo and seed data use placeholder addresses on a ``.example`` domain (RFC 2606); the product
#: itself accepts any valid address (issue 15: ``someone@partner.co.kr`` is a real contact).
PLACEHOLDER_DOMAIN_SUFFIX = ".example"

ALL_AGENT_ROLE_CODES = frozenset({"agent", "team_lead", "deputy_lead", "manager"})
LEAD_ROLE_CODES = frozenset({"team_lead", "deputy_lead"})


class SiteKind(models.TextChoices):
    """Seed 001's site kinds as the seed names them: the codes the playbook's rules name (the
    T월주차권 pass month, 하이파킹 수동현장) and the first rows of :class:`SiteKindOption`. The
    list a lead keeps is those rows (issue 15 A.2: rows, not constants)."""

    MANUAL_NORMAL = "manual_normal", _("수동현장(일반)")
    MANUAL_SPECIAL = "manual_special", _("수동현장(특수)")
    T_MONTHLY = "t_monthly", _("T월주차권(연동)")


class Integration(models.TextChoices):
    LINKED = "linked", _("연동")
    UNLINKED = "unlinked", _("비연동")
    UNAFFILIATED = "unaffiliated", _("비제휴")


class ChannelKind(models.TextChoices):
    SLACK = "slack", _("Slack")
    EMAIL = "email", _("E-mail")
    AGIT = "agit", _("아지트")
    PARTNER_WEB = "partner_web", _("운영사 웹사이트")
    AMANO_SHARE = "amano_share", _("아마노쉐어")
    GOOGLE_SHEET = "google_sheet", _("Google Sheet")
    APP_DIRECT = "app_direct", _("앱에서 직접 변경")
    ADMIN_DIRECT = "admin_direct", _("주차 어드민 직접 변경")
    HOTLINE = "hotline", _("핫라인")


class RequestKind(models.TextChoices):
    CAR_NUMBER_CHANGE = "car_number_change", _("정기권 차량번호 변경")
    UNREGISTERED = "unregistered", _("정기권 미등록")
    MIDTERM_CANCEL = "midterm_cancel", _("정기권 중도해지·환불")
    ONSITE_PAYMENT_CANCEL = "onsite_payment_cancel", _("정기권 현장결제 취소")
    LOT_INFO_CHANGE = "lot_info_change", _("주차장 정보수정")
    STOP_SELLING = "stop_selling", _("노출·판매중지 요청")
    PARKING_TICKET = "parking_ticket", _("주차권")
    PARKING_REFUND = "parking_refund", _("주차요금 환불(현장 환불정책)")


class LotInfoTopic(models.TextChoices):
    FEE = "fee", _("주차요금")
    ADDRESS = "address", _("주소 및 기타")
    CONTRACT = "contract", _("계약정보")


class RoleScope(models.TextChoices):
    """The seed's 변경권한 column: "All" = every agent and up, "팀장, 부팀장" = leads only."""

    ALL = "all", _("All (상담사 이상 모두)")
    LEADS = "leads", _("팀장, 부팀장")


ROLE_SCOPE_CODES = {
    RoleScope.ALL: ALL_AGENT_ROLE_CODES,
    RoleScope.LEADS: LEAD_ROLE_CODES,
}


def validate_email_address(value: str) -> None:
    """Any syntactically valid address (partners' real addresses: ``someone@partner.co.kr``)."""
    EmailValidator(message=_("올바른 이메일 주소가 아닙니다: %(value)s"))(value)


def validate_placeholder_email(value: str) -> None:
    """Demo data only: a valid address on a ``.example`` domain (kept for demo-data checks and
    for the historical migrations that reference it; no model field uses it any more)."""
    validate_email_address(value)
    if not value.lower().endswith(PLACEHOLDER_DOMAIN_SUFFIX):
        raise ValidationError(
            _("실제 개인정보는 저장하지 않습니다: '%(value)s' 대신 .example 주소를 쓰세요."),
            params={"value": value},
            code="not_placeholder",
        )


def parse_recipients(text: str) -> list[tuple[str, str]]:
    """``'담당자 <a@b.example>'`` lines (or commas) -> [(display name, address)], in order."""
    lines = [line.strip() for line in (text or "").replace(",", "\n").splitlines()]
    return [(name, addr) for name, addr in getaddresses([ln for ln in lines if ln])]


def validate_recipient_list(text: str) -> None:
    for name, addr in parse_recipients(text):
        if not addr or "@" not in addr:
            raise ValidationError(
                _(
                    "수신자 형식을 알 수 없습니다: '%(value)s' (예: 담당자 <someone@partner.example>)"
                ),
                params={"value": name or addr},
                code="bad_recipient",
            )
        validate_email_address(addr)


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


class Channel(SeedKeyed):
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="channels",
        verbose_name=_("운영사"),
        help_text=_("비우면 공통 채널 (예: 주차 운영 아지트)."),
    )
    kind = models.CharField(_("채널 종류"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("채널 이름"), max_length=120, unique=True)
    target = models.CharField(
        _("대상"),
        max_length=300,
        blank=True,
        help_text=_("Slack 채널명 / 게시판 이름 / URL / 시트 이름 / 메뉴 경로"),
    )
    recipients = models.ManyToManyField(
        "Contact",
        through="ChannelRecipient",
        related_name="channels",
        blank=True,
        verbose_name=_("수신·참조"),
        help_text=_(
            "담당자 연락처 행을 가리킵니다: 담당자 한 명을 고치면 그 사람을 쓰는 모든 채널·경로가 "
            "함께 바뀝니다."
        ),
    )
    notes = models.TextField(_("비고"), blank=True)
    is_active = models.BooleanField(_("사용"), default=True)

    history = HistoricalRecords()

    #: Kinds that point somewhere and are useless without saying where.
    KINDS_NEEDING_TARGET = frozenset(
        {
            ChannelKind.SLACK,
            ChannelKind.AGIT,
            ChannelKind.PARTNER_WEB,
            ChannelKind.AMANO_SHARE,
            ChannelKind.GOOGLE_SHEET,
        }
    )

    class Meta:
        verbose_name = _("채널")
        verbose_name_plural = _("채널")
        ordering = ["name"]
        constraints = [_unique_seed_key("channel")]

    def __str__(self) -> str:
        return self.name

    def recipients_on(self, day: datetime.date | None = None) -> tuple[tuple[str, ...], ...]:
        """(To, Cc) addresses of the contacts in force on ``day`` (None: every active row), in
        the order the seed lists them. Reads prefetched ``recipient_links`` when present."""
        to: list[str] = []
        cc: list[str] = []
        links = sorted(self.recipient_links.all(), key=lambda r: (r.kind != "to", r.position, r.pk))
        for link in links:
            contact = link.contact
            if not contact.email or (day is not None and not contact.in_force_on(day)):
                continue
            if day is None and not contact.is_active:
                continue
            (to if link.kind == RecipientKind.TO else cc).append(contact.email)
        return tuple(dict.fromkeys(to)), tuple(dict.fromkeys(cc))

    @property
    def to_addresses(self) -> tuple[str, ...]:
        return self.recipients_on()[0]

    @property
    def cc_addresses(self) -> tuple[str, ...]:
        return self.recipients_on()[1]

    def clean(self) -> None:
        # Recipients are rows (ChannelRecipient); "an e-mail channel needs one" is checked where
        # they are written: partners.services.channel_set_recipients and the admin inline.
        if self.kind in self.KINDS_NEEDING_TARGET and not (self.target or "").strip():
            raise ValidationError(
                {
                    "target": _("%(kind)s 채널에는 대상(채널명·게시판·URL·시트 이름)을 입력하세요.")
                    % {"kind": self.get_kind_display()}
                },
                code="target_required",
            )


class Contact(SeedKeyed):
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("운영사"),
        help_text=_("비우면 사내 담당자 (사업담당 등)."),
    )
    label = models.CharField(
        _("역할"), max_length=80, help_text=_("예: 담당자, 하이파킹 공용메일, 사업담당")
    )
    name = models.CharField(
        _("표시 이름"), max_length=80, blank=True, help_text=_("실명 대신 역할명을 씁니다.")
    )
    email = models.CharField(
        _("이메일"), max_length=254, blank=True, validators=[validate_email_address]
    )
    mention = models.CharField(
        _("아지트 멘션"), max_length=60, blank=True, help_text=_("예: @owner1")
    )
    effective_from = models.DateField(
        _("적용 시작일"),
        null=True,
        blank=True,
        help_text=_(
            "이 날부터 이 담당자에게 보냅니다 (예: 운영사별 담당자 25.5.1부터). 비우면 처음부터."
        ),
    )
    effective_to = models.DateField(
        _("적용 종료일"),
        null=True,
        blank=True,
        help_text=_("이 날까지 (포함). 담당자가 바뀌면 종료일을 넣고 새 담당자 행을 만듭니다."),
    )
    notes = models.TextField(_("비고"), blank=True)
    is_active = models.BooleanField(_("사용"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("담당자 연락처")
        verbose_name_plural = _("담당자 연락처")
        ordering = ["label", "email", "mention"]
        constraints = [
            _unique_seed_key("contact"),
            # The DB's half of "no overlapping periods for one address / handle" (the service
            # checks the full overlap and names the other row): one open-ended row each.
            models.UniqueConstraint(
                fields=["email"],
                condition=~Q(email="") & Q(effective_to__isnull=True, is_active=True),
                name="partners_contact_one_open_email",
                violation_error_message=_(
                    "같은 이메일의 사용 중인 연락처(종료일 없음)가 이미 있습니다."
                ),
            ),
            models.UniqueConstraint(
                fields=["mention"],
                condition=~Q(mention="") & Q(effective_to__isnull=True, is_active=True),
                name="partners_contact_one_open_mention",
                violation_error_message=_(
                    "같은 멘션의 사용 중인 연락처(종료일 없음)가 이미 있습니다."
                ),
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="partners_contact_dates_in_order",
                violation_error_message=_("적용 종료일은 시작일보다 빠를 수 없습니다."),
            ),
        ]

    def __str__(self) -> str:
        handle = self.email or self.mention
        return f"{self.name or self.label} <{handle}>" if handle else self.label

    def clean(self) -> None:
        if not (self.email or self.mention):
            raise ValidationError(_("이메일 또는 아지트 멘션 중 하나는 입력하세요."))
        if self.mention and not self.mention.startswith("@"):
            raise ValidationError({"mention": _("멘션은 @로 시작합니다 (예: @owner1).")})
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("적용 종료일은 시작일보다 빠를 수 없습니다.")})

    def in_force_on(self, day: datetime.date) -> bool:
        return (
            self.is_active
            and (self.effective_from is None or self.effective_from <= day)
            and (self.effective_to is None or day <= self.effective_to)
        )


class RecipientKind(models.TextChoices):
    TO = "to", _("수신 (To)")
    CC = "cc", _("참조 (Cc)")


class ChannelRecipient(models.Model):
    """One contact on an e-mail channel's To or Cc line, in the seed's order."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="recipient_links", verbose_name=_("채널")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="channel_links", verbose_name=_("담당자")
    )
    kind = models.CharField(
        _("구분"), max_length=2, choices=RecipientKind.choices, default=RecipientKind.TO
    )
    position = models.PositiveSmallIntegerField(_("순서"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("채널 수신·참조")
        verbose_name_plural = _("채널 수신·참조")
        ordering = ["channel", "kind", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "contact", "kind"],
                name="partners_channelrecipient_unique",
                violation_error_message=_("이 채널에 같은 담당자가 이미 있습니다."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.contact}"


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

    def __str__(self) -> str:
        parts = [self.get_request_kind_display()]
        parts.append(
            str(self.site) if self.site_id else (str(self.partner) if self.partner_id else "공통")
        )
        if self.site_kind:
            parts.append(self.site_kind)
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
