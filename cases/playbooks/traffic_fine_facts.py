"""Seed 004 (과태료 처리 프로세스): the facts an agent gives, as a serializer.

Split from ``cases.playbooks.traffic_fine`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

from rest_framework import serializers

from fines import codes
from fines.accounts import AccountFormatError, check_account_format, mask_account
from fines.banks import BANK_CHOICES

from . import _common as c

# --------------------------------------------------------------------------- facts


class Facts(c.FactsSerializer):
    call_id = c.text("콜 ID", "운행 건의 콜 ID (숫자)", max_length=20)
    call_type = c.choice("콜 구분", codes.CALL_TYPES, "자사콜 / 위탁콜", default=codes.OWN)
    notice_type = c.choice("고지 종류", codes.NOTICE_TYPES, "과태료 / 범칙금", default=codes.FINE)
    violation_kind = c.choice(
        "위반 종류",
        codes.VIOLATION_KINDS,
        "일반 또는 특이이슈 (장소·시간 불일치, 장애인주차구역, 주정차 단속 ...)",
        default=codes.GENERAL,
    )
    has_notice_image = c.boolean("고지서 이미지 첨부", "첨부파일(고지서) 확인", default=False)
    bank = serializers.ChoiceField(
        label="은행",
        choices=BANK_CHOICES,
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": "은행: 선택할 수 없는 값입니다 ({input})."},
    )
    # Write-only: the plain number never reaches the stored facts (the case keeps the masked
    # form; the encrypted number lives in fines.FineNotice / FinePayout).
    account_number = serializers.CharField(
        label="계좌번호",
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=30,
        error_messages={"max_length": "계좌번호: 30자 이하로 입력해 주세요."},
    )
    account_holder = c.text("예금주", "고객 계좌의 예금주", default="", max_length=50)
    has_account = c.boolean(
        "고객 계좌정보 기재",
        "은행·계좌번호·예금주가 모두 있으면 자동으로 참",
        default=None,
        allow_null=True,
    )
    # Derived from the account number when one is given; kept as input so stored facts that
    # are validated again (the case's own facts) still show which account it was.
    account_masked = serializers.CharField(
        label="계좌 (마스킹)", required=False, allow_blank=True, max_length=40
    )
    violation_at = c.moment("위반일시", "고지서의 위반일시", default=None)
    violation_place = c.text("위반장소", "고지서의 위반장소", default="", max_length=200)
    violation_lat = serializers.FloatField(
        label="위반장소 위도", required=False, allow_null=True, min_value=-90, max_value=90
    )
    violation_lng = serializers.FloatField(
        label="위반장소 경도", required=False, allow_null=True, min_value=-180, max_value=180
    )
    notice_issued_on = c.day("고지일", "고지서 발행일 (위반일시보다 빠를 수 없음)", default=None)
    amount = serializers.IntegerField(
        label="금액",
        required=False,
        allow_null=True,
        min_value=1,
        max_value=10_000_000,
        error_messages={
            "min_value": "금액: 0원보다 커야 합니다.",
            "max_value": "금액: 10,000,000원 이하여야 합니다.",
            "invalid": "금액: 숫자(원)만 입력해 주세요.",
        },
    )
    car_number = c.text(
        "차량번호", "고객 차량번호 (범칙금: 기사에게 전달)", default="", max_length=20
    )
    driver_name = c.text("기사명", "", default="", max_length=50)
    received_on = c.day(
        "접수일", "고객이 과태료를 접수한 날 (문자의 '0월 0일 접수', 비우면 판단일)", default=None
    )
    driver_disputes = c.boolean(
        "기사 미인정 (주정차 위반)",
        "기사가 주차한 적 없음 / 고객 요청으로 주차했다고 주장",
        default=False,
    )
    # Computed by fines.services before proposing (the playbook never reads the database).
    duplicate_of_case_id = serializers.IntegerField(
        label="중복 원건 케이스", required=False, allow_null=True, min_value=1
    )
    earlier_payout_id = serializers.IntegerField(
        label="기존 지급 건", required=False, allow_null=True, min_value=1
    )
    # Seed 004 2.: "중복건 발생시 과태료 고지서 및 내용 중복 체크 필수": another notice of the same
    # call ID with another violation time is not silently new; the agent confirms it differs.
    same_call_case_id = serializers.IntegerField(
        label="같은 콜ID 다른 고지서 케이스", required=False, allow_null=True, min_value=1
    )
    same_call_violation_at = c.moment(
        "같은 콜ID 다른 고지서 위반일시", "먼저 접수된 같은 콜ID 고지서의 위반일시", default=None
    )
    evidence_result = c.choice(
        "증빙 확인 결과", codes.EVIDENCE_RESULTS, "운행 기록과 비교", default=codes.EVIDENCE_UNKNOWN
    )
    evidence_reason = c.text("증빙 확인 사유", "", default="", max_length=200)
    evidence_override = c.boolean(
        "증빙 불일치 승인 (담당자)",
        "담당자(관리자)가 불일치를 확인하고 처리하기로 함",
        default=False,
    )
    evidence_rejected = c.boolean(
        "증빙 불일치 확정 (담당자)",
        "담당자(관리자)가 확인한 결과 이 운행 중 발생한 과태료가 아님 (반려)",
        default=False,
    )

    def validate_call_id(self, value: str) -> str:
        value = value.strip()
        if not value.isdigit() or not value.isascii():
            raise serializers.ValidationError("콜 ID: 숫자만 입력할 수 있습니다.")
        return value

    def validate(self, attrs: dict) -> dict:
        errors: dict[str, str] = {}
        violation_at, issued_on = attrs.get("violation_at"), attrs.get("notice_issued_on")
        if violation_at and issued_on and c.seoul(violation_at).date() > issued_on:
            errors["violation_at"] = "위반일시: 고지일보다 늦을 수 없습니다."
        number = attrs.get("account_number") or ""
        bank = attrs.get("bank") or ""
        if number:
            if not bank:
                errors["bank"] = "은행: 계좌번호를 입력했다면 필수 항목입니다."
            else:
                try:
                    digits = check_account_format(bank=bank, number=number)
                except AccountFormatError as exc:
                    errors["account_number"] = f"계좌번호: {exc}"
                else:
                    attrs["account_number"] = digits
                    attrs["account_masked"] = mask_account(
                        bank=bank, last4=digits[-4:], length=len(digits)
                    )
        if attrs.get("has_notice_image") and attrs.get("amount") is None:
            errors.update(c.required_when(attrs, {"amount": "금액"}, "고지서가 첨부되었다면"))
        if errors:
            raise serializers.ValidationError(errors)
        if attrs.get("has_account") is None:
            attrs["has_account"] = bool(
                attrs.get("account_number") and bank and attrs.get("account_holder")
            )
        return attrs


FACTS = Facts
