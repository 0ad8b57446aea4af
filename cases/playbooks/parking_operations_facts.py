"""Seed 001 ([주차] 고객센터 업무처리 프로세스): the facts an agent gives, as a serializer.

Split from ``cases.playbooks.parking_operations`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

from rest_framework import serializers

from . import _common as c
from .parking_operations_scripts import (
    _MIDTERM_FIELDS,
    _PARTNER_KINDS,
    _SITE_KIND_KINDS,
    DISCOUNT_CLAIMS,
    INTEGRATIONS,
    REQUEST_KINDS,
    SEASON_PASS_MONTH_KINDS,
    SPECIAL_SITES,
    TOPICS,
)
from .site_rules import (
    DEFAULT_PARTNERS,
    DEFAULT_SITE_KINDS,
)


class Facts(c.FactsSerializer):
    request_kind = c.choice("요청 유형", REQUEST_KINDS)
    partner = c.row_choice(
        "운영사", "partners", DEFAULT_PARTNERS, "정기권 요청은 필수", default=None
    )
    site_kind = c.row_choice(
        "현장 구분",
        "site_kinds",
        DEFAULT_SITE_KINDS,
        "정기권 미등록·차량번호 변경·중도해지는 필수",
        default=None,
    )
    integration = c.choice(
        "연동 구분", INTEGRATIONS, "주차장 정보수정(요금·주소)과 판매중지는 필수", default=None
    )
    topic = c.choice("정보수정 항목", TOPICS, "주차장 정보수정은 필수", default=None)
    special_site = c.choice("특수 현장", SPECIAL_SITES, "63빌딩, 케이트윈타워", default=None)
    lot_name = c.text("주차장(현장) 명", default="", max_length=100)
    car_number = c.text("차량번호", default="", max_length=20)
    new_car_number = c.text("변경할 차량번호", "차량번호 변경 요청일 때", default="", max_length=20)
    details = c.text("요청 내용", "운영사·담당자에게 전달할 내용", default="", max_length=1000)
    partner_answer = c.text(
        "운영사 회신",
        "운영사·담당자 메일 회신 (회신 메일이 오면 자동 기록)",
        default="",
        max_length=2000,
    )
    paid_amount = c.integer("결제금액", "정기권 결제금액(원)", default=None, allow_null=True)
    start_date = c.day("정기권 시작일", "경과일 수는 시작일과 해지일을 모두 포함", default=None)
    cancel_date = c.day("해지일", "중도해지(해지 요청)일", default=None)
    daily_max_fee = c.integer("일최대요금", "현장의 일 최대요금(원)", default=None, allow_null=True)
    customer_agrees = c.boolean(
        "고객 수긍 여부",
        "경과일 수 x 일최대요금 안내에 수긍했는지 (비우면 아직 안내 전)",
        default=None,
        allow_null=True,
    )
    discount_claim = c.choice(
        "환불 요청 사유",
        DISCOUNT_CLAIMS,
        "63빌딩 환불정책: 한화생명 직원 할인·식음업장 할인 미적용",
        default=None,
    )
    evidence_provided = c.boolean(
        "증빙 확인 여부",
        "63빌딩: 할인 대상 증빙을 받아 확인했는지 (비우면 아직 요청 전, '아니오'는 증빙 없음)",
        default=None,
        allow_null=True,
    )
    operator_check_needed = c.boolean(
        "운영사 확인 필요 여부",
        "주차권: 운영사 확인 요청이 필요한 경우 '예' (운영사별 담당자 참고)",
        default=None,
        allow_null=True,
    )
    unresolvable = c.boolean(
        "처리불가 여부",
        "주차권: 아지트 기존 업무로 처리할 수 없으면 '예' (사업담당 멘션)",
        default=None,
        allow_null=True,
    )
    site_contact_known = c.boolean(
        "현장 담당자 확인 여부",
        "하이파킹 수동현장: 월초 현장별 담당자 메일 공유 전이면 '아니오' (다음 영업일 접수)",
        default=None,
        allow_null=True,
    )

    def validate(self, attrs: dict) -> dict:
        kind = attrs["request_kind"]
        errors: dict[str, str] = {}
        twin = attrs.get("special_site") == "k_twin_tower"  # routed as 아마노코리아
        if kind in _PARTNER_KINDS and not attrs.get("partner") and not twin:
            errors["partner"] = f"운영사: {REQUEST_KINDS[kind]} 요청에는 필수 항목입니다."
        if kind in _SITE_KIND_KINDS and not attrs.get("site_kind"):
            errors["site_kind"] = f"현장 구분: {REQUEST_KINDS[kind]} 요청에는 필수 항목입니다."
        if kind == "lot_info_change":
            if not attrs.get("topic"):
                errors["topic"] = "정보수정 항목: 주차장 정보수정 요청에는 필수 항목입니다."
            elif attrs["topic"] != "contract" and not attrs.get("integration"):
                errors["integration"] = "연동 구분: 주차요금·주소 정보수정에는 필수 항목입니다."
        if kind == "stop_selling" and not attrs.get("integration"):
            errors["integration"] = "연동 구분: 노출/판매중지 요청에는 필수 항목입니다."
        if kind == "midterm_cancel":
            errors.update(c.required_when(attrs, _MIDTERM_FIELDS, "중도해지 환불 계산에"))
            start, cancel = attrs.get("start_date"), attrs.get("cancel_date")
            if start and cancel and cancel < start:
                errors["cancel_date"] = "해지일: 정기권 시작일보다 빠를 수 없습니다."
        t_monthly = attrs.get("site_kind") == "t_monthly"
        if kind in SEASON_PASS_MONTH_KINDS and t_monthly and not attrs.get("start_date"):
            errors["start_date"] = (
                "정기권 시작일: T월 주차권 요청에는 필수 항목입니다 "
                "(25.3월 정기권부터 적용: 정기권의 이용월로 처리방법을 정합니다)."
            )
        if (
            kind == "parking_refund"
            and attrs.get("special_site") == "building_63"
            and not attrs.get("discount_claim")
        ):
            errors["discount_claim"] = "환불 요청 사유: 63빌딩 환불정책 요청에는 필수 항목입니다."
        if kind == "car_number_change" and not attrs.get("new_car_number"):
            errors["new_car_number"] = "변경할 차량번호: 차량번호 변경 요청에는 필수 항목입니다."
        # A special site's own partner / routes_like is data (partners.Site): checked in
        # propose through env (_special_site), with the same field error.
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


FACTS = Facts
#: Issue 16: a reply to the route's e-mail (step ``follow_route``, seed 001's 운영사 담당자 메일)
