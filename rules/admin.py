"""Admin of the center settings: leads and the manager edit (kmcs_site.permissions), agents see
nothing, auditors read the history. Saves go through ``rules.services``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kmcs_site.admin import AuditedAdmin

from . import selectors, services
from .models import (
    BOARD_FIELDS,
    GUIDE_FIELDS,
    MEMO_PLACEHOLDERS,
    SERVICE_LEVEL_FIELDS,
    CenterSettings,
    LotRule,
)

TIME_ERROR = _("시각은 00:00~23:59 사이의 HH:MM 형식으로 입력하세요.")
BOARD_REQUIRED = _("아지트 게시판·템플릿 이름은 비워 둘 수 없습니다.")


class CenterSettingsForm(forms.ModelForm):
    payout_cutoff = forms.TimeField(
        label=_("지급 마감 시각"),
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": TIME_ERROR, "required": TIME_ERROR},
    )
    payout_batch_time = forms.TimeField(
        label=_("지급 배치 시각"),
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": TIME_ERROR, "required": TIME_ERROR},
    )

    class Meta:
        model = CenterSettings
        fields = (
            "effective_from",
            "payout_cutoff",
            "payout_batch_time",
            "dispute_driver_share_pct",
            "dispute_company_share_pct",
            "dashcam_wait_days",
            "evidence_max_distance_m",
            "evidence_time_slack_minutes",
            "evidence_parking_window_hours",
            "coupon_link",
            "deposit_account",
            *SERVICE_LEVEL_FIELDS,
            *BOARD_FIELDS,
            *MEMO_PLACEHOLDERS,
            *GUIDE_FIELDS,
            "note",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in BOARD_FIELDS:  # the form strips blanks: say which rule, not "필수 항목"
            if name in self.fields:  # an auditor's form has none (read-only)
                self.fields[name].error_messages["required"] = BOARD_REQUIRED


@admin.register(CenterSettings)
class CenterSettingsAdmin(AuditedAdmin):
    form = CenterSettingsForm
    fieldsets = (
        (None, {"fields": ("effective_from", "note")}),
        (
            _("과태료 (시드 004)"),
            {
                "fields": (
                    "payout_cutoff",
                    "payout_batch_time",
                    "dispute_driver_share_pct",
                    "dispute_company_share_pct",
                    "dashcam_wait_days",
                    "evidence_max_distance_m",
                    "evidence_time_slack_minutes",
                    "evidence_parking_window_hours",
                    "deposit_account",
                )
            },
        ),
        (_("주차 쿠폰 (시드 000)"), {"fields": ("coupon_link",)}),
        (_("전기차충전 서비스 수준 (시드 003)"), {"fields": SERVICE_LEVEL_FIELDS}),
        (_("미충전 어드민 가이드 링크 (시드 003)"), {"fields": GUIDE_FIELDS}),
        (_("아지트 게시판"), {"fields": BOARD_FIELDS}),
        (_("빌링처리 메모 (처리 결과별)"), {"fields": tuple(MEMO_PLACEHOLDERS)}),
    )
    list_display = (
        "effective_from",
        "payout_cutoff",
        "payout_batch_time",
        "dispute_driver_share_pct",
        "dispute_company_share_pct",
        "dashcam_wait_days",
        "note",
    )
    ordering = ("-effective_from",)

    def get_queryset(self, request):
        return selectors.settings_list()

    def save_model(self, request, obj, form, change):
        services.center_settings_save(instance=obj, actor=request.user)


@admin.register(LotRule)
class LotRuleAdmin(AuditedAdmin):
    """Seed 000's lot rules (성북구·속초시 공영, 인천공항) with their control-center phones."""

    list_display = (
        "label",
        "code",
        "action",
        "center_name",
        "center_phone",
        "priority",
        "effective_from",
        "effective_to",
    )
    list_filter = ("action",)
    search_fields = ("label", "code", "district_keywords", "name_keywords")
    fields = (
        "code",
        "label",
        "action",
        "name_keywords",
        "district_keywords",
        "public_only",
        "center_name",
        "center_phone",
        "priority",
        "effective_from",
        "effective_to",
        "note",
    )

    def get_queryset(self, request):
        return selectors.lot_rule_list()

    def save_model(self, request, obj, form, change):
        services.lot_rule_save(instance=obj, actor=request.user)
