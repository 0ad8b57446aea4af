"""Seed 000 (이중결제 취소요청 [타사주차권]): the facts an agent gives, as a serializer.

Split from ``cases.playbooks.parking_double_payment`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

from rest_framework import serializers

from . import _common as c
from .parking_double_payment_rules import (
    _customer_fault,
    _stage,
    used_minutes,
)
from .parking_double_payment_scripts import (
    CHANNELS,
    INTEGRATIONS,
    OTHER_APPS,
)

# --------------------------------------------------------------------------- facts


class Facts(c.FactsSerializer):
    channel = c.choice(
        "응대 채널",
        CHANNELS,
        "채팅·챗봇 게시판: 내역 확인 후 처리 / 유선: 내역 필요 안내 후 챗봇 게시판 접수 안내",
        default="chat",
    )
    account_holder = c.boolean(
        "카카오 T 계정 가입자 본인 여부",
        "문의하신 카카오 T 계정 가입자 본인이십니까? (본인이 아닌 경우 상담제한)",
        default=True,
    )
    ownership_verified = c.boolean(
        "소유인증 여부",
        "소유인증 O - 주차장 명 선언급 가능 / 소유인증 X - 주차장명 선언급 불가 "
        "(OO시 OO동 - 행정구역은 언급가능)",
        default=False,
    )
    lot_name = c.text("주차장 명", "주차패스 이용 건의 주차장 명", min_length=2, max_length=100)
    lot_district = c.text(
        "주차장 행정구역",
        "예: 서울 성북구, 강원 속초시 (소유인증 전에는 행정구역까지만 언급)",
        min_length=2,
        max_length=60,
    )
    is_public_lot = c.boolean(
        "공영주차장 여부",
        "성북구·속초시 공영주차장 규칙에 사용. 비워두면 주차장 명에 '공영'이 있는지로 판단",
        default=None,
        allow_null=True,
    )
    lot_integration = c.choice(
        "주차장 연동 구분", INTEGRATIONS, "상담유형 소분류: 연동, 비연동, 기타", default="other"
    )
    entry_at = c.moment("입차일시", "주차패스 이용 건의 입차 일시 (20OO년-O월-O일 OO시)")
    exit_at = c.moment("출차일시", "주차장 이용시간 계산에 사용", default=None)
    car_number = c.text(
        "실제 이용 차량번호", "주차패스 이용 건의 차량번호", default="", max_length=20
    )
    pass_amount = c.integer(
        "주차패스 결제금액", "주차패스로 결제된 금액(원)", default=None, allow_null=True
    )
    other_app = c.choice(
        "타사 주차권 구매처", OTHER_APPS, "모두의주차장은 '예약내역'과 '결제내역' 모두 필요"
    )
    other_app_name = c.text(
        "그 외 앱 이름", "구매처가 '그 외 앱'일 때 앱 이름", default="", max_length=40
    )
    usage_history_attached = c.boolean(
        "이용내역 첨부 여부", "주차권의 날짜와 차량번호가 확인되는 이용내역 (모두의주차장 외)"
    )
    reservation_history_attached = c.boolean("예약내역 첨부 여부", "모두의주차장 '예약내역'")
    payment_history_attached = c.boolean(
        "결제내역 첨부 여부", "모두의주차장 '결제내역' (예약내역에는 결제시간이 없음)"
    )
    ticket_hours = c.integer(
        "주차권 시간",
        "이용하신 주차권의 O시간권",
        default=None,
        allow_null=True,
        min_value=1,
        max_value=720,
    )
    ticket_applied = c.boolean(
        "주차권 적용 여부",
        "주차패스 내역에 주차권이 적용되고 남은 시간 요금만 결제되었는지 (예: 시간 초과이용). "
        "비우면 이용시간과 주차권 시간으로 판단",
        default=None,
        allow_null=True,
    )
    extra_fee_unit_minutes = c.integer(
        "추가요금 단위(분)",
        "현장 요금표의 추가요금 단위, 예: 10분당 → 10 (초과 요금 계산에 사용)",
        default=None,
        allow_null=True,
        min_value=1,
        max_value=1440,
    )
    extra_fee_per_unit = c.integer(
        "단위당 추가요금(원)",
        "현장 요금표의 단위당 추가요금, 예: 10분당 1,000원 → 1000",
        default=None,
        allow_null=True,
        min_value=0,
    )
    ticket_purchased_at = c.moment(
        "주차권 결제시간", "타사 주차권 결제(구매) 일시: 입차 이후면 '입차 후 구매'", default=None
    )
    bought_after_entry_label = c.boolean(
        "'입차 후 구매' 문구 확인", "모두의 주차권 예약내역 상 '입차 후 구매' 문구가 있는지"
    )
    ticket_car_number = c.text(
        "주차권 차량번호", "예약하신 주차권의 차량번호", default="", max_length=20
    )
    ticket_date = c.day("주차권 예약일", "예약하신 주차권의 이용(예약)일", default=None)
    ticket_lot_name = c.text(
        "주차권 주차장 명", "예약하신 주차권의 주차장 명", default="", max_length=100
    )
    onsite_check_needed = c.boolean(
        "주차현장 확인 필요 여부",
        "고객 언급에 따라 추가 탐색 진행 → 주차현장 확인이 필요한 경우 ④ 안내는 문자로 진행",
    )
    inquired_on = c.day(
        "문의일", "현장확인 문자의 '0월 0일 문의하셨던 건' (비우면 판단일)", default=None
    )

    def validate(self, attrs: dict) -> dict:
        # "※ 본인이 아닌 경우 상담제한" (seed 000 ①) is what the agent does (a proposal:
        # script + record, outcome consultation_restricted), not a refusal of the facts.
        errors: dict[str, str] = {}
        if (attrs.get("extra_fee_unit_minutes") is None) != (
            attrs.get("extra_fee_per_unit") is None
        ):
            errors["extra_fee_per_unit"] = (
                "추가요금: 단위(분)와 단위당 요금(원)은 함께 입력해야 합니다."
            )
        if attrs.get("other_app") == "other" and not attrs.get("other_app_name"):
            errors["other_app_name"] = "그 외 앱 이름: 구매처가 '그 외 앱'이면 필수 항목입니다."
        exit_at, entry_at = attrs.get("exit_at"), attrs.get("entry_at")
        if exit_at and entry_at and exit_at <= entry_at:
            errors["exit_at"] = "출차일시: 입차일시 이후여야 합니다."
        if _stage(attrs) == "decide" and not _customer_fault(attrs):
            # Only cancel vs overtime needs the stay and the ticket's hours; a customer fault
            # is decided from the ticket alone.
            errors.update(
                c.required_when(
                    attrs,
                    {
                        "exit_at": "출차일시",
                        "ticket_hours": "주차권 시간",
                        "pass_amount": "주차패스 결제금액",
                    },
                    "타사 주차권 내역으로 처리 방향을 정하려면",
                )
            )
            used = used_minutes(attrs) if attrs.get("exit_at") and not errors else None
            if (
                attrs.get("ticket_applied")
                and used is not None
                and attrs.get("ticket_hours")
                and used <= attrs["ticket_hours"] * 60
            ):
                errors["ticket_applied"] = (
                    "주차권 적용 여부: 주차권이 적용되었다면 남은 시간 요금만 결제됩니다. "
                    "이용시간이 주차권 시간을 넘지 않으니 입차·출차일시와 주차권 시간을 확인해 주세요."
                )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


FACTS = Facts
