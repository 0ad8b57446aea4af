"""Center settings a lead or the manager changes without a deploy (issue 15 A.3).

One row = the whole set of values, in force from ``effective_from`` until the next row's
``effective_from``. A change for later is a new row with a later moment; reading picks the row
in force at the moment asked (``rules.selectors.center_rules``). Every row has simple-history, so
editing a row is on record too. Environment variables keep only secrets and infrastructure.
"""

from __future__ import annotations

import re
import string

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .defaults import TODAY_SINCE_0005 as DEFAULTS

#: The due rules a service level may name (kmcs_site.business_time), N from 1 to 999.
DUE_RULE_RE = r"(business_days|days|hours):[1-9][0-9]{0,2}|next_business_day"
DUE_RULE_HELP = _(
    "business_days:N (영업일 N일), days:N (N일), hours:N (N시간), next_business_day (다음 "
    "영업일 18시)"
)
SERVICE_LEVEL_FIELDS = ("ev_team_answer_rule", "ev_cpo_answer_rule", "ev_customer_sms_rule")
BOARD_FIELDS = (
    "agit_nonride_board",
    "agit_nonride_template",
    "agit_ev_cpo_board",
    "agit_ev_postbill_board",
    "agit_parking_board",
)
#: memo field -> the placeholders its format may use.
#: Seed 003's "🔎 미충전 어드민 가이드 참고 - 미충전 유형 A/B/C ..." (issue 15 B.003): the seed
#: gives the guides' titles only; their addresses are the center's, shown on the case's step.
GUIDE_FIELDS = ("ev_guide_a_url", "ev_guide_b_url", "ev_guide_c_url")
MEMO_PLACEHOLDERS = {
    "billing_memo_nonride_approved": (),
    "billing_memo_nonride_rejected_ride_recorded": (),
    "billing_memo_nonride_rejected_already_processed": (),
    "billing_memo_nonride_rejected_other_inquiry": (),
    "billing_memo_nonride_rejected_duplicate": (),
    "billing_memo_double_payment_cancel": ("amount",),
}


def _memo_problem(text: str, allowed: tuple[str, ...]) -> str:
    """A Korean error when the memo format uses a placeholder it may not ('' when fine)."""
    try:
        names = [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name]
    except ValueError:
        return _("중괄호 { } 짝이 맞지 않습니다.")
    wrong = [n for n in names if n not in allowed]
    if wrong:
        if allowed:
            return _("쓸 수 없는 자리표시자: %(wrong)s (쓸 수 있는 것: %(allowed)s)") % {
                "wrong": ", ".join(f"{{{n}}}" for n in wrong),
                "allowed": ", ".join(f"{{{n}}}" for n in allowed),
            }
        return _("이 메모에는 자리표시자({ })를 쓸 수 없습니다.")
    return ""


class CenterSettings(models.Model):
    effective_from = models.DateTimeField(
        _("적용 시작 시각"),
        unique=True,
        error_messages={"unique": _("같은 적용 시작 시각의 설정이 이미 있습니다.")},
        help_text=_("이 시각부터 다음 설정의 시작 시각 전까지 이 값을 씁니다."),
    )
    payout_cutoff = models.TimeField(
        _("지급 마감 시각"),
        help_text=_("이 시각 전에 만든 지급은 당일 배치, 이후는 익일 배치 (00:00~23:59)."),
    )
    payout_batch_time = models.TimeField(_("지급 배치 시각"), help_text=_("00:00~23:59"))
    dispute_driver_share_pct = models.PositiveSmallIntegerField(_("분쟁 현금 지급: 기사 부담(%)"))
    dispute_company_share_pct = models.PositiveSmallIntegerField(_("분쟁 현금 지급: 당사 부담(%)"))
    dashcam_wait_days = models.PositiveSmallIntegerField(_("블랙박스 대기 일수"))
    evidence_max_distance_m = models.PositiveIntegerField(_("증빙 확인: 최대 거리(m)"))
    evidence_time_slack_minutes = models.PositiveIntegerField(_("증빙 확인: 허용 시간 차(분)"))
    evidence_parking_window_hours = models.PositiveIntegerField(
        _("증빙 확인: 하차 후 주차 인정 시간(시간)")
    )
    coupon_link = models.URLField(_("쿠폰 확인 링크"), max_length=300)
    deposit_account = models.CharField(_("입금지사 계좌"), max_length=200)
    # seed 003: "담당부서로 확인하여 ... 문자 안내": the center's own service levels (the seed
    # promises "순차적으로 확인 ... 다소 시간이 소요" without a number). Defaults = today's values.
    ev_team_answer_rule = models.CharField(
        _("전기차충전: 담당부서 답변 기한"),
        max_length=40,
        default=DEFAULTS["ev_team_answer_rule"],
        help_text=DUE_RULE_HELP,
    )
    ev_cpo_answer_rule = models.CharField(
        _("전기차충전: CPO 회신 기한"),
        max_length=40,
        default=DEFAULTS["ev_cpo_answer_rule"],
        help_text=DUE_RULE_HELP,
    )
    ev_customer_sms_rule = models.CharField(
        _("전기차충전: 답변 후 고객 문자 안내 기한"),
        max_length=40,
        default=DEFAULTS["ev_customer_sms_rule"],
        help_text=DUE_RULE_HELP,
    )
    # Agit boards and templates the seeds name (seed 002 "[운영] 대리 CS 대응 >
    # [챗보드_요금조정(광주KMCC)]", seed 003 "[전기차충전cs]", "[사후청구 결제취소]", seed 000
    # "아지트로 확인 요청"). Mention lists of seed 001 are the routes' Contact rows (partners).
    agit_nonride_board = models.CharField(
        _("아지트 게시판: 미운행건 결제취소 (시드 002)"),
        max_length=100,
        default=DEFAULTS["agit_nonride_board"],
    )
    agit_nonride_template = models.CharField(
        _("아지트 템플릿: 미운행건 결제취소 승인 (시드 002)"),
        max_length=100,
        default=DEFAULTS["agit_nonride_template"],
    )
    agit_ev_cpo_board = models.CharField(
        _("아지트 게시판: 전기차충전 미충전결제 (시드 003)"),
        max_length=100,
        default=DEFAULTS["agit_ev_cpo_board"],
    )
    agit_ev_postbill_board = models.CharField(
        _("아지트 게시판: 전기차충전 사후청구 (시드 003)"),
        max_length=100,
        default=DEFAULTS["agit_ev_postbill_board"],
    )
    agit_parking_board = models.CharField(
        _("아지트 게시판: 주차 (시드 000 인천공항, 시드 001 기본)"),
        max_length=100,
        default=DEFAULTS["agit_parking_board"],
    )
    # 빌링처리 메모 per outcome (seed 002's table: 승인 "챗보드 IN / 기사_미운행건 결제취소 / 고객
    # SMS", every 반려 "-": blank = no memo).
    billing_memo_nonride_approved = models.CharField(
        _("빌링처리 메모: 미운행건 승인"),
        max_length=200,
        blank=True,
        default=DEFAULTS["billing_memo_nonride_approved"],
    )
    billing_memo_nonride_rejected_ride_recorded = models.CharField(
        _("빌링처리 메모: 반려 (운행거리&시간 O)"), max_length=200, blank=True, default=""
    )
    billing_memo_nonride_rejected_already_processed = models.CharField(
        _("빌링처리 메모: 반려 (고객센터 기처리)"), max_length=200, blank=True, default=""
    )
    billing_memo_nonride_rejected_other_inquiry = models.CharField(
        _("빌링처리 메모: 반려 (접수유형 외 다른 문의)"), max_length=200, blank=True, default=""
    )
    billing_memo_nonride_rejected_duplicate = models.CharField(
        _("빌링처리 메모: 반려 (중복 접수)"), max_length=200, blank=True, default=""
    )
    billing_memo_double_payment_cancel = models.CharField(
        _("빌링처리 메모: 이중결제 주차패스 결제취소 (시드 000)"),
        max_length=200,
        blank=True,
        default=DEFAULTS["billing_memo_double_payment_cancel"],
        help_text=_("{amount} 자리에 취소 금액(예: 4,000원)이 들어갑니다."),
    )
    # seed 003 "🔎 미충전 어드민 가이드 참고 - 미충전 유형 A/B/C": the guide's link on the step of
    # its case type (blank: the title alone). The seed names no address, so none is assumed.
    ev_guide_a_url = models.URLField(
        _("미충전 어드민 가이드 유형 A 링크 (결제 건에 대한 미충전 주장)"),
        max_length=300,
        blank=True,
        default="",
    )
    ev_guide_b_url = models.URLField(
        _("미충전 어드민 가이드 유형 B 링크 (사후청구 결제 전 미충전 주장)"),
        max_length=300,
        blank=True,
        default="",
    )
    ev_guide_c_url = models.URLField(
        _("미충전 어드민 가이드 유형 C 링크 (사후청구 결제 후 미충전 주장)"),
        max_length=300,
        blank=True,
        default="",
    )
    note = models.CharField(_("변경 사유"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("센터 설정")
        verbose_name_plural = _("센터 설정")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dispute_driver_share_pct=100 - F("dispute_company_share_pct")),
                name="rules_centersettings_split_is_100",
                violation_error_message=_("기사 부담과 당사 부담의 합은 100%여야 합니다."),
            ),
        ]

    def __str__(self) -> str:
        return f"센터 설정 ({self.effective_from:%Y-%m-%d %H:%M}부터)"

    def clean(self) -> None:
        errors = {}
        driver, company = self.dispute_driver_share_pct, self.dispute_company_share_pct
        if driver is not None and company is not None and driver + company != 100:
            errors["dispute_company_share_pct"] = _(
                "기사 부담(%(driver)s%%)과 당사 부담(%(company)s%%)의 합은 100%%여야 합니다 "
                "(지금 %(total)s%%)."
            ) % {"driver": driver, "company": company, "total": driver + company}
        if self.dashcam_wait_days is not None and self.dashcam_wait_days < 1:
            errors["dashcam_wait_days"] = _("블랙박스 대기 일수는 1일 이상이어야 합니다.")
        if self.evidence_max_distance_m is not None and self.evidence_max_distance_m < 1:
            errors["evidence_max_distance_m"] = _("최대 거리는 1m 이상이어야 합니다.")
        for name in SERVICE_LEVEL_FIELDS:
            if not re.fullmatch(DUE_RULE_RE, (getattr(self, name) or "").strip()):
                errors[name] = _(
                    "기한 형식이 올바르지 않습니다: business_days:N (영업일), days:N (일), "
                    "hours:N (시간, N은 1~999) 또는 next_business_day (다음 영업일 18시)."
                )
        for name in BOARD_FIELDS:
            if not (getattr(self, name) or "").strip():
                errors[name] = _("아지트 게시판·템플릿 이름은 비워 둘 수 없습니다.")
        for name, allowed in MEMO_PLACEHOLDERS.items():
            problem = _memo_problem(getattr(self, name) or "", allowed)
            if problem:
                errors[name] = problem
        if errors:
            raise ValidationError(errors)


class LotAction(models.TextChoices):
    """What seed 000 does instead of deciding, for a kind of lot (the playbook's outcomes)."""

    REFER_CONTROL_CENTER = "refer_control_center", _("고객이 직접 관제센터로 문의 안내")
    CENTER_CONTACTS = (
        "center_contacts_control_center",
        _("센터에서 관제센터로 연락하여 조치 후 고객 사후 안내"),
    )
    ESCALATE_AGIT = "escalate_agit", _("아지트로 확인 요청")


#: Digits with '-', spaces, '/' and ',' between numbers ("033-636-4240/ 033-637-6242").
PHONE_LIST_RE = r"^\d{2,4}-\d{3,4}-\d{4}(\s*[/,]\s*\d{2,4}-\d{3,4}-\d{4})*$"


class LotRule(models.Model):
    """Seed 000 정책 및 참고사항: a kind of lot (성북구 공영, 속초시 공영, 인천공항) and what the
    center does for it, with the control center's phone. One ``code`` may have several rows
    over time (a new phone from a date); their periods never overlap (``rules.services``)."""

    code = models.SlugField(
        _("코드"),
        max_length=40,
        help_text=_("같은 규칙의 기간별 행을 묶는 고정 코드 (예: seongbuk)."),
    )
    label = models.CharField(
        _("주차장 구분 명"),
        max_length=60,
        help_text=_("안내문에 쓰는 이름 (예: 성북구 공영주차장)."),
    )
    action = models.CharField(_("처리 방법"), max_length=40, choices=LotAction.choices)
    name_keywords = models.CharField(
        _("주차장 명 키워드"),
        max_length=200,
        blank=True,
        help_text=_("쉼표로 구분. 주차장 명에 하나라도 있으면 대상 (예: 인천공항, 인천국제공항)."),
    )
    district_keywords = models.CharField(
        _("행정구역 키워드"),
        max_length=200,
        blank=True,
        help_text=_("쉼표로 구분. 주차장 행정구역에 하나라도 있으면 대상 (예: 성북구)."),
    )
    public_only = models.BooleanField(
        _("공영주차장만"),
        default=False,
        help_text=_("공영주차장 여부(비우면 주차장 명의 '공영')가 예일 때만 적용."),
    )
    center_name = models.CharField(_("관제센터 명"), max_length=60, blank=True)
    center_phone = models.CharField(
        _("관제센터 연락처"),
        max_length=80,
        blank=True,
        help_text=_("예: 02-6925-0023, 여러 번호는 / 로 구분"),
    )
    priority = models.PositiveSmallIntegerField(
        _("적용 순서"), default=10, help_text=_("작은 값부터 확인합니다 (인천공항 규칙이 먼저).")
    )
    effective_from = models.DateField(_("적용 시작일"))
    effective_to = models.DateField(_("적용 종료일"), null=True, blank=True)
    note = models.CharField(_("변경 사유"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("주차장 규칙 (시드 000)")
        verbose_name_plural = _("주차장 규칙 (시드 000)")
        ordering = ["priority", "code", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="rules_lotrule_period_ordered",
                violation_error_message=_("적용 종료일은 적용 시작일 이후여야 합니다."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.effective_from:%Y-%m-%d}~)"

    def clean(self) -> None:
        errors = {}
        names = [t for t in self.name_keywords.split(",") if t.strip()]
        districts = [t for t in self.district_keywords.split(",") if t.strip()]
        if not names and not districts:
            errors["district_keywords"] = _(
                "주차장 명 키워드나 행정구역 키워드 중 하나는 입력해야 합니다."
            )
        if self.action in (LotAction.REFER_CONTROL_CENTER, LotAction.CENTER_CONTACTS):
            if not self.center_name.strip():
                errors["center_name"] = _("관제센터 안내 규칙에는 관제센터 명이 필요합니다.")
            if not self.center_phone.strip():
                errors["center_phone"] = _("관제센터 안내 규칙에는 관제센터 연락처가 필요합니다.")
        if self.center_phone.strip() and not re.match(PHONE_LIST_RE, self.center_phone.strip()):
            errors["center_phone"] = _(
                "연락처 형식이 올바르지 않습니다 (예: 02-6925-0023, 033-636-4240/ 033-637-6242)."
            )
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = _("적용 종료일은 적용 시작일 이후여야 합니다.")
        if not errors and self.code and self.effective_from:
            other = self.overlapping().first()
            if other is not None:
                errors["effective_from"] = _(
                    "같은 규칙(%(code)s)의 다른 행과 적용 기간이 겹칩니다: %(other)s. "
                    "기존 행의 적용 종료일을 먼저 정하세요."
                ) % {"code": self.code, "other": other}
        if errors:
            raise ValidationError(errors)

    def overlapping(self):
        """Rows of the same code whose period overlaps this one's (both ends inclusive)."""
        qs = LotRule.objects.filter(code=self.code).exclude(pk=self.pk)
        qs = qs.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from))
        if self.effective_to is not None:
            qs = qs.filter(effective_from__lte=self.effective_to)
        return qs.order_by("effective_from")


class ReferenceVersion(models.Model):
    """One row whose token the database changes on every write to the tables the proposal's
    reference cache holds (``rules.reference_cache``): center settings, lot rules, campaigns,
    SMS templates and their versions.

    Triggers (``rules.reference_triggers``) set a fresh random token on any insert, update or
    delete, whatever wrote it: services, the admin, ``QuerySet.update``, ``bulk_create``,
    ``loaddata``, raw SQL. A random token, not a counter, so that a rolled-back write can never
    hand its token to a later, different write (SQLite rolls its sequences back too). Not
    edited by people, so no history.
    """

    id = models.PositiveSmallIntegerField(primary_key=True)
    token = models.CharField(max_length=64)

    class Meta:
        default_permissions = ()
        verbose_name = _("참조 데이터 버전")
        verbose_name_plural = _("참조 데이터 버전")

    def __str__(self) -> str:
        return self.token
