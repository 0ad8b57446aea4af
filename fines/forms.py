"""Forms of the fines admin screens: they only collect input; the services decide."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from fines import codes
from fines.banks import BANK_CHOICES


def _choices(mapping):
    return list(mapping.items())


class FineIntakeForm(forms.Form):
    """과태료 접수 (챗보드/T앱 게시판): the agent types what the notice and the post say."""

    call_id = forms.CharField(label=_("콜 ID"), max_length=20)
    call_type = forms.ChoiceField(label=_("콜 구분"), choices=_choices(codes.CALL_TYPES))
    notice_type = forms.ChoiceField(label=_("고지 종류"), choices=_choices(codes.NOTICE_TYPES))
    violation_kind = forms.ChoiceField(
        label=_("위반 종류"), choices=_choices(codes.VIOLATION_KINDS)
    )
    notice_image = forms.FileField(label=_("고지서 이미지"), required=False)
    violation_at = forms.DateTimeField(
        label=_("위반일시"), required=False, help_text=_("예: 2024-06-15 22:20")
    )
    violation_place = forms.CharField(label=_("위반장소"), max_length=200, required=False)
    violation_lat = forms.FloatField(label=_("위반장소 위도"), required=False)
    violation_lng = forms.FloatField(label=_("위반장소 경도"), required=False)
    notice_issued_on = forms.DateField(label=_("고지일"), required=False)
    amount = forms.IntegerField(label=_("금액 (원)"), required=False)
    car_number = forms.CharField(label=_("차량번호"), max_length=20, required=False)
    bank = forms.ChoiceField(
        label=_("은행"), choices=[("", "---------"), *BANK_CHOICES], required=False
    )
    account_number = forms.CharField(label=_("계좌번호"), max_length=30, required=False)
    account_holder = forms.CharField(label=_("예금주"), max_length=50, required=False)
    customer_phone = forms.CharField(label=_("고객 전화번호"), max_length=20)
    driver_phone = forms.CharField(
        label=_("기사 전화번호"),
        max_length=20,
        required=False,
        help_text=_("비워두면 운행 기록의 기사 전화번호"),
    )
    driver_disputes = forms.BooleanField(label=_("기사 미인정 (주정차 위반)"), required=False)
    # One intake per form shown (issue 12): the same form posted again (a retry after an error,
    # a double click) answers the first intake instead of filing the notice a second time.
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        max_length=100,
        initial=lambda: f"admin-fine-{uuid.uuid4().hex}",
    )

    def facts(self) -> dict:
        data = self.cleaned_data
        skip = {"notice_image", "customer_phone", "driver_phone", "idempotency_key"}
        facts = {}
        for key, value in data.items():
            if key in skip or value in (None, ""):
                continue
            facts[key] = value.isoformat() if hasattr(value, "isoformat") else value
        return facts


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("사유"), max_length=200, widget=forms.Textarea(attrs={"rows": 3})
    )


class SettleForm(forms.Form):
    """What the bank told a lead about a payout in 확인 필요 (fines.services.settlement)."""

    outcome = forms.ChoiceField(
        label=_("은행 확인 결과"),
        choices=[
            ("paid", _("지급 완료 확인 (은행이 입금을 확인)")),
            ("not_paid", _("미이체 확인 (은행에 이체 없음: 실패로 기록, 재지급은 새 지급 건)")),
        ],
        widget=forms.RadioSelect,
    )
    bank_reference = forms.CharField(
        label=_("은행 거래고유번호"),
        max_length=64,
        required=False,
        help_text=_("지급 완료 확인일 때 필수"),
    )
    note = forms.CharField(
        label=_("확인 메모"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("은행 담당자, 확인 시각 등"),
    )


class EvidenceReviewForm(ReasonForm):
    accept_mismatch = forms.TypedChoiceField(
        label=_("결정"),
        choices=[("0", _("반려 확정 (증빙 불일치)")), ("1", _("불일치 승인 (특이이슈로 처리)"))],
        coerce=lambda v: v == "1",
    )


class PayoutForm(forms.Form):
    """신규 지급 건 생성 (담당자: 특이이슈·범칙금). Empty fields = the notice's values.

    The amount is shown, never typed: a disabled field ignores whatever is posted (the
    service derives it, ``payout_amount_for``). A payout made here waits for a second person's
    approval (승인 대기) before the batch pays it.
    """

    amount = forms.CharField(
        label=_("금액 (원)"),
        required=False,
        disabled=True,
        help_text=_("고지서 금액 (기사 미인정 현금 지급 건은 결정된 지급액). 변경할 수 없습니다."),
    )
    bank = forms.ChoiceField(
        label=_("은행"), choices=[("", "---------"), *BANK_CHOICES], required=False
    )
    account_number = forms.CharField(label=_("계좌번호"), max_length=30, required=False)
    holder = forms.CharField(label=_("예금주"), max_length=50, required=False)
    charge_driver = forms.BooleanField(label=_("기사 포인트 차감"), required=False, initial=True)


class AccountSearchForm(forms.Form):
    """과태료 관리: search by a full account number, sent by POST only (never in a URL)."""

    account_number = forms.CharField(
        label=_("계좌번호 전체"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
