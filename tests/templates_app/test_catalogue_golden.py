"""The CEMS template catalogue: golden renders, definition rules, and agreement with playbooks.

Golden texts were read against the seeds line by line (seed 000 section 5, seed 002's six
templates); a change to a template's wording must change this file too, on purpose.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from cases.playbooks import PLAYBOOKS, evaluate
from templates_app.catalogue import CATALOGUE, CATALOGUE_BY_NAME
from templates_app.definitions import AUDIENCES, VARIABLE_TYPES
from templates_app.render import placeholders, render_sms, template_problems
from tests.cases.playbooks.test_registry import (
    OUTCOMES,
    AnyRouteEnv,
    _branch_samples,
    facts_strategy,
)

SEOUL = ZoneInfo("Asia/Seoul")
NAMES = [t.name for t in CATALOGUE]

#: One sample value per variable name used anywhere in the catalogue.
SAMPLES = {
    "inquired_on": date(2024, 12, 5),
    "lot_label": "서울 강남구 소재 주차장",
    "reason": "입차 후 구매",
    "pass_amount": 4000,
    "ticket_hours": 2,
    "used_time": "3시간 15분",
    "excess_time": "1시간 15분",
    "excess_fee": 3000,
    "ticket_name": "모두의 주차권",
    "seller": "모두의 주차장",
    "mismatch_item": "차량번호",
    "reserved_value": "34나5678",
    "actual_value": "12가3456",
    "evidence": "'예약내역'과 '결제내역'",
    "coupon_expires_on": date(2024, 12, 31),
    "received_on": date(2024, 11, 20),
    "amount": 23000,
    "called_on": date(2024, 11, 19),
    "origin": "강남역",
    "call_id": "7001234567",
    "cancelled_on": date(2024, 11, 18),
    "earlier_received_on": date(2024, 11, 15),
    "used_at": datetime(2025, 4, 9, 14, 30, tzinfo=SEOUL),
    "station": "판교역 충전소",
    "payout_on": date(2024, 11, 21),
    # issue 15 A.2: values from the rows (rules.CenterSettings / the 성북구 rules.LotRule), the
    # seed's own, so the golden texts below are the seed's word for word
    "coupon_link": "https://t.kakao.com/launch?page=coupon",
    "center_name": "성북구통합관제센터",
    "center_phone": "02-6925-0023",
}

#: The longest values a case can carry, per type: the 1,000-character rule must hold for them.
LONGEST = {
    "text": "가" * 40,
    "int": 720,
    "amount": 99_999_999,
    "date_md": date(2024, 12, 31),
    "date_ymd": date(2024, 12, 31),
    "datetime": datetime(2024, 12, 31, 23, 59, tzinfo=SEOUL),
    "call_id": "9" * 20,
    "phone": "010-1234-5678",
    "url": "https://example.com/" + "a" * 40,
}

GOLDEN = {
    "주차_현장확인_T주차권구매권유_쿠폰지급": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 서울 강남구 소재 주차장 문의하셨던 건에 대하여 안내드립니다.\n"
        "\n"
        "[확인내용 안내]\n"
        "\n"
        "해당 건은 안타깝게도 입차 후 구매 사유로 주차권 적용이 되지 않았던 것 같아요.\n"
        "결제된 내역에 대해 도움을 드리긴 어렵지만, 카카오 T 주차권은 주차패스와 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요.\n"
        "\n"
        "더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요.\n"
        "\n"
        "[쿠폰 사용 안내]\n"
        "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매전용\n"
        "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
        "\n"
        "쿠폰은 아래의 링크에서 확인하실 수 있어요.\n"
        "▶ https://t.kakao.com/launch?page=coupon\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_현장확인_결과안내": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 서울 강남구 소재 주차장 문의하셨던 건에 대하여 안내드립니다.\n"
        "\n"
        "[확인내용 안내]\n"
        "\n"
        "해당 건은 안타깝게도 입차 후 구매 사유로 주차권 적용이 되지 않았던 것 같아요.\n"
        "결제된 내역에 대해 도움을 드리긴 어려운 점 양해 부탁드립니다.\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    # Seed 000 A2 ③ "주차권 시간 초과이용한 경우(정상이용)": the ticket was applied.
    "주차_현장확인_정상이용_T주차권구매권유_쿠폰지급": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 서울 강남구 소재 주차장 문의하셨던 건에 대하여 안내드립니다.\n"
        "\n"
        "[확인내용 안내]\n"
        "\n"
        "확인해 보니 고객님께서 이용하신 주차권은 2시간권입니다.\n"
        "주차장을 이용하신 시간은 총 3시간 15분으로 확인되고 있는데요.\n"
        "\n"
        "주차권 적용 후 남은 1시간 15분에 대한 요금 3,000원이 결제된 것으로 확인되어 걱정하지 않으셔도 괜찮습니다.\n"
        "\n"
        "이번에 다른 업체의 주차권과 주차패스의 결제 건으로 혼동되어 많이 불편하셨을 것 같아요.\n"
        "카카오 T 주차권은 주차패스와 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요.\n"
        "\n"
        "더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요.\n"
        "\n"
        "[쿠폰 사용 안내]\n"
        "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매전용\n"
        "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
        "\n"
        "쿠폰은 아래의 링크에서 확인하실 수 있어요.\n"
        "▶ https://t.kakao.com/launch?page=coupon\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_현장확인_정상이용_결과안내": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 서울 강남구 소재 주차장 문의하셨던 건에 대하여 안내드립니다.\n"
        "\n"
        "[확인내용 안내]\n"
        "\n"
        "확인해 보니 고객님께서 이용하신 주차권은 2시간권입니다.\n"
        "주차장을 이용하신 시간은 총 3시간 15분으로 확인되고 있는데요.\n"
        "\n"
        "주차권 적용 후 남은 1시간 15분에 대한 요금 3,000원이 결제된 것으로 확인되어 걱정하지 않으셔도 괜찮습니다.\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_챗봇게시판_이중결제_주차패스결제취소": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 문의하신 주차패스 이중결제 건에 대하여 안내드립니다.\n"
        "\n"
        "[확인내용 안내]\n"
        "\n"
        "주차권이 정상적으로 적용되었다면 주차패스 내역은 생성되더라도 결제되지 않아요.\n"
        "다만, 주차권이 제대로 적용되지 않아 결제가 이루어진 상황으로 확인됩니다.\n"
        "\n"
        "첨부해 주신 내역으로 주차패스 결제 건(4,000원)은 바로 취소처리하겠습니다.\n"
        "카드사에 따라 취소 이후 실제 환불까지 영업일 기준 3~5일의 시간이 소요될 수 있으니 양해 부탁드립니다.\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_챗봇게시판_이중결제_정상결제_주차권시간초과": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 문의하신 주차패스 이중결제 건에 대하여 안내드립니다.\n"
        "\n"
        "[확인내용 안내]\n"
        "\n"
        "확인해 보니 고객님께서 이용하신 주차권은 2시간권입니다.\n"
        "주차장을 이용하신 시간은 총 3시간 15분으로 확인되고 있는데요.\n"
        "\n"
        "주차권 적용 후 남은 1시간 15분에 대한 요금 3,000원이 결제된 것으로 확인되어 걱정하지 않으셔도 괜찮습니다.\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_챗봇게시판_이중결제_고객귀책_입차후구매": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 문의하신 주차패스 이중결제 건에 대하여 안내드립니다.\n"
        "\n"
        "[확인내용 안내]\n"
        "\n"
        "다만 모두의 주차권을 입차 후 구매하신 내역으로 확인됩니다.\n"
        "입차 후 구매 시 주차권 적용이 어려울 수 있어요.\n"
        "\n"
        "번거로우시겠지만 주차권 관련하여 모두의 주차장 측으로 문의해 주시겠습니까?\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_챗봇게시판_이중결제_고객귀책_정보상이": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 문의하신 주차패스 이중결제 건에 대하여 안내드립니다.\n"
        "\n"
        "[확인내용 안내]\n"
        "\n"
        "확인해 보니 고객님께서 예약하신 주차권의 차량번호 정보가 실제 이용하신 내역과 다르게 확인됩니다.\n"
        "- 예약하신 주차권: 34나5678\n"
        "- 실제 이용하신 내역: 12가3456\n"
        "\n"
        "카카오 T로 결제된 요금은 정상 이용하신 내역으로 확인되어, 번거로우시겠지만 주차권 환불 관련하여 모두의 주차장 측으로 문의해 주시겠습니까?\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_챗봇게시판_이중결제_타사주차권내역요청": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 문의하신 주차패스 이중결제 건에 대하여 안내드립니다.\n"
        "\n"
        "정확한 확인을 위해, 번거로우시겠지만 이용하신 주차권의 날짜와 차량번호가 확인되도록 '예약내역'과 '결제내역'을 첨부하여 다시 접수해 주시겠습니까?\n"
        "첨부해 주시면 확인 후 빠르게 안내드리겠습니다.\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_챗봇게시판_이중결제_성북구통합관제센터안내": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 문의하신 주차패스 이중결제 건에 대하여 안내드립니다.\n"
        "\n"
        "이용하신 주차장은 성북구 공영주차장으로, 해당 건은 관제센터에서 직접 확인이 가능해요.\n"
        "번거로우시겠지만 성북구통합관제센터(02-6925-0023)로 문의해 주시면 정확하게 안내받으실 수 있습니다.\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_챗봇게시판_이중결제_확인후안내": (
        "안녕하세요.\n"
        "\n"
        "12월 5일 문의하신 주차패스 이중결제 건은 담당부서 확인이 필요하여, 확인 후 다시 안내드리겠습니다.\n"
        "확인에 다소 시간이 소요되는 점 양해 부탁드립니다.\n"
        "\n"
        "We move life!\n"
        "이동을 넘어 생활의 모든 순간에 고객님과 함께하겠습니다.\n"
        "감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_T주차권구매권유_쿠폰지급_결제취소": (
        "안녕하세요.\n"
        "\n"
        "이번에 다른 업체의 주차권이 자동으로 적용되지 않아 많이 불편하셨을 것 같아요.\n"
        "\n"
        "카카오 T 주차권은 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요.\n"
        "\n"
        "더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요.\n"
        "\n"
        "[쿠폰 사용 안내]\n"
        "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매 전용\n"
        "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
        "쿠폰 발급이 완료되면 아래의 링크에서 확인하실 수 있어요.\n"
        "https://t.kakao.com/launch?page=coupon\n"
        "\n"
        "편리한 주차서비스를 카카오 T와 함께 경험해 보시길 바랄게요.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    # Seed 000 ④: "- 사용기한 : ~~24.12.31까지~~" (struck): said only with a lead-set expiry.
    "주차_T주차권구매권유_쿠폰지급_결제취소_사용기한": (
        "안녕하세요.\n"
        "\n"
        "이번에 다른 업체의 주차권이 자동으로 적용되지 않아 많이 불편하셨을 것 같아요.\n"
        "\n"
        "카카오 T 주차권은 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요.\n"
        "\n"
        "더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요.\n"
        "\n"
        "[쿠폰 사용 안내]\n"
        "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매 전용\n"
        "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
        "- 사용기한 : 2024년 12월 31일까지\n"
        "쿠폰 발급이 완료되면 아래의 링크에서 확인하실 수 있어요.\n"
        "https://t.kakao.com/launch?page=coupon\n"
        "\n"
        "편리한 주차서비스를 카카오 T와 함께 경험해 보시길 바랄게요.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_T주차권구매권유_쿠폰지급_정상이용": (
        "안녕하세요.\n"
        "\n"
        "이번에 다른 업체의 주차권과 주차패스의 결제 건으로 혼동되어 많이 불편하셨을 것 같아요.\n"
        "카카오 T 주차권은 주차패스와 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요.\n"
        "\n"
        "더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요.\n"
        "\n"
        "[쿠폰 사용 안내]\n"
        "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매 전용\n"
        "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
        "쿠폰 발급이 완료되면 아래의 링크에서 확인하실 수 있어요.\n"
        "https://t.kakao.com/launch?page=coupon\n"
        "\n"
        "편리한 주차서비스를 카카오 T와 함께 경험해 보시길 바랄게요.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    # Seed 000 ④: "- 사용기한 : ~~24.12.31까지~~" (struck): said only with a lead-set expiry.
    "주차_T주차권구매권유_쿠폰지급_정상이용_사용기한": (
        "안녕하세요.\n"
        "\n"
        "이번에 다른 업체의 주차권과 주차패스의 결제 건으로 혼동되어 많이 불편하셨을 것 같아요.\n"
        "카카오 T 주차권은 주차패스와 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요.\n"
        "\n"
        "더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요.\n"
        "\n"
        "[쿠폰 사용 안내]\n"
        "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매 전용\n"
        "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
        "- 사용기한 : 2024년 12월 31일까지\n"
        "쿠폰 발급이 완료되면 아래의 링크에서 확인하실 수 있어요.\n"
        "https://t.kakao.com/launch?page=coupon\n"
        "\n"
        "편리한 주차서비스를 카카오 T와 함께 경험해 보시길 바랄게요.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "주차_T주차권구매권유_쿠폰지급_고객귀책": (
        "안녕하세요.\n"
        "\n"
        "해당 건은 안타깝게도 입차 후 구매 사유로 주차권 적용이 되지 않았던 것 같아요.\n"
        "결제된 내역에 대해 도움을 드리긴 어렵지만, 카카오 T 주차권은 주차패스와 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요.\n"
        "\n"
        "더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요.\n"
        "\n"
        "[쿠폰 사용 안내]\n"
        "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매 전용\n"
        "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
        "쿠폰 발급이 완료되면 아래의 링크에서 확인하실 수 있어요.\n"
        "https://t.kakao.com/launch?page=coupon\n"
        "\n"
        "편리한 주차서비스를 카카오 T와 함께 경험해 보시길 바랄게요.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    # Seed 000 ④: "- 사용기한 : ~~24.12.31까지~~" (struck): said only with a lead-set expiry.
    "주차_T주차권구매권유_쿠폰지급_고객귀책_사용기한": (
        "안녕하세요.\n"
        "\n"
        "해당 건은 안타깝게도 입차 후 구매 사유로 주차권 적용이 되지 않았던 것 같아요.\n"
        "결제된 내역에 대해 도움을 드리긴 어렵지만, 카카오 T 주차권은 주차패스와 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요.\n"
        "\n"
        "더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요.\n"
        "\n"
        "[쿠폰 사용 안내]\n"
        "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매 전용\n"
        "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
        "- 사용기한 : 2024년 12월 31일까지\n"
        "쿠폰 발급이 완료되면 아래의 링크에서 확인하실 수 있어요.\n"
        "https://t.kakao.com/launch?page=coupon\n"
        "\n"
        "편리한 주차서비스를 카카오 T와 함께 경험해 보시길 바랄게요.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "대리기사_챗봇게시판_기사미운행건결제취소(승인)": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 접수해 주신 미운행건 결제취소 문의에 대한 처리가 완료되어 안내해 드려요.\n"
        "\n"
        "■ 취소금액 : 23,000원 "
        "※ 운행을 하지 않았음에도 운행 완료 처리 시, 기사 활동에 불이익을 받으실 수 있는 점 참고 부탁드립니다.\n"
        "\n"
        "언제나 기사님의 편리한 운행을 위해 노력할게요! 감사합니다.\n"
        "\n"
        "카카오 T 파트너 운영센터 드림"
    ),
    "대리_챗봇게시판_기사미운행건결제취소(승인)": (
        "안녕하세요.\n"
        "\n"
        "2024년 11월 19일 출발지 강남역에서 대리를 호출하신 건에 대해 이용하지 않은 것으로 확인되어 결제가 취소되었어요. 요금 결제로 인해 불편을 드려 죄송합니다.\n"
        "\n"
        "■ 취소금액 : 23,000원 "
        "※ 카드사에 따라 취소 이후 실제 환불까지 영업일 기준 3~5일의 시간이 소요될 수 있으니 양해 부탁드려요.\n"
        "\n"
        "궁금하신 내용이 있다면 아래 상담톡으로 문의해 주세요. 친절하게 안내해 드릴게요!\n"
        "\n"
        "[채팅상담] "
        "① 카카오 T 고객센터 : https://pf.kakao.com/_VGxikj "
        "② 카카오 T 대리 단독 앱 고객센터 : http://pf.kakao.com/_QNMsM\n"
        "\n"
        "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 접수하신 미운행건 결제취소 문의에 대해 안내드려요.\n"
        "\n"
        "문의하신 7001234567 건은 운행거리와 운행시간이 확인되어 요금을 취소할 수 없어요.\n"
        "\n"
        "운행기록을 잘못 선택하신 경우라면 번거로우시겠지만, 다시 한번 운행기록 확인하셔서 재접수를 부탁드려요.\n"
        "\n"
        "다른 부분에서 도움이 필요하시다면 아래 상담톡을 통해 문의해 주세요. 친절하고 자세하게 안내해 드릴게요!\n"
        "\n"
        "[채팅상담] "
        "① 카카오 T 채널(대리 기사용) : https://pf.kakao.com/_iILUxd "
        "② 카카오 T 대리 기사용 앱 - 오른쪽 위 [메뉴] - 서비스 문의 - 대화창에 '상담' 입력 후 [상담사 연결하기]\n"
        "\n"
        "언제나 기사님의 편리한 운행을 위해 노력할게요! 감사합니다.\n"
        "\n"
        "카카오 T 파트너 운영센터 드림"
    ),
    "대리기사_챗봇게시판_기사미운행건결제취소(반려)_고객센터기처리": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 접수하신 건은 이미 결제가 취소되었어요.\n"
        "\n"
        "■ 취소금액 : 23,000원 "
        "■ 취소일자 : 2024년 11월 18일\n"
        "\n"
        "※ 운행을 하지 않았음에도 운행 완료 처리 시, 기사 활동에 불이익을 받으실 수 있는 점 참고 부탁드립니다.\n"
        "\n"
        "언제나 기사님의 편리한 운행을 위해 노력할게요! 감사합니다.\n"
        "\n"
        "카카오 T 파트너 운영센터 드림"
    ),
    "대리기사_챗봇게시판_공용(반려)_접수유형외다른문의": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 남겨주신 내용만으로는 어떤 어려움을 겪고 계시는지 정확한 파악이 어려워요.\n"
        "\n"
        "다른 부분에서 도움이 필요하시다면 아래 상담톡을 통해 문의를 부탁드려요. 친절하고 자세히 안내해 드릴게요!\n"
        "\n"
        "[채팅상담] "
        "① 카카오 T 채널(대리 기사용) : https://pf.kakao.com/_iILUxd "
        "② 카카오 T 대리 기사용 앱 - 오른쪽 위 [메뉴] - 서비스 문의 - 대화창에 '상담' 입력 후 [상담사 연결하기]\n"
        "\n"
        "언제나 기사님의 편리한 운행을 위해 노력할게요! 감사합니다.\n"
        "\n"
        "카카오 T 파트너 운영센터 드림"
    ),
    "대리기사_챗봇게시판_공용(반려)_중복접수": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 접수하신 미운행건 결제취소 문의에 대해 안내드려요.\n"
        "\n"
        "현재 11월 15일 동일한 내용으로 접수된 건이 있어 처리 중이니 조금만 더 기다려주시면 감사하겠습니다.\n"
        "\n"
        "양해해 주시는 만큼, 최대한 신속히 도움드릴 수 있도록 노력할게요.\n"
        "\n"
        "언제나 기사님의 편리한 운행을 위해 노력할게요! 감사합니다.\n"
        "\n"
        "카카오 T 파트너 운영센터 드림"
    ),
    "전기차충전_미충전_결제취소완료": (
        "안녕하세요.\n"
        "\n"
        "2025년 04월 09일 14:30 판교역 충전소 이용 건 문의에 대해 안내드려요.\n"
        "\n"
        "담당부서 확인 결과 실제로 충전되지 않은 것으로 확인되어 결제가 취소되었어요. 이용에 불편을 드려 죄송합니다.\n"
        "\n"
        "■ 취소금액 : 23,000원\n"
        "※ 카드사에 따라 취소 이후 실제 환불까지 영업일 기준 3~5일의 시간이 소요될 수 있으니 양해 부탁드려요.\n"
        "\n"
        "확인까지 기다려 주셔서 감사합니다.\n"
        "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "전기차충전_사후청구_결제제외완료": (
        "안녕하세요.\n"
        "\n"
        "2025년 04월 09일 14:30 판교역 충전소 이용 건 문의에 대해 안내드려요.\n"
        "\n"
        "담당부서 확인 결과 실제로 충전하지 않은 내역으로 확인되어, 해당 금액은 결제되지 않도록 결제 예정 내역에서 제외되었어요. 이용에 불편을 드려 죄송합니다.\n"
        "\n"
        "■ 제외금액 : 23,000원\n"
        "\n"
        "확인까지 기다려 주셔서 감사합니다.\n"
        "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "전기차충전_미충전주장_충전이용확인": (
        "안녕하세요.\n"
        "\n"
        "2025년 04월 09일 14:30 판교역 충전소 이용 건 문의에 대해 안내드려요.\n"
        "\n"
        "담당부서 확인 결과 해당 일시에 실제 충전 이용 내역이 확인되어, 요금 취소가 어려운 점 양해 부탁드려요.\n"
        "\n"
        "궁금하신 내용이 있다면 카카오 T 고객센터로 문의해 주세요. 친절하게 안내해 드릴게요!\n"
        "\n"
        "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "대리_챗봇게시판_과태료_입금예정": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 접수해 주신 과태료 건에 대해 안내드려요.\n"
        "\n"
        "확인 결과 과태료 금액을 남겨주신 계좌로 입금해 드릴 예정이에요.\n"
        "\n"
        "■ 입금금액 : 23,000원\n"
        "■ 입금예정일 : 11월 21일 14시 이후\n"
        "\n"
        "이용에 불편을 드려 죄송합니다.\n"
        "\n"
        "궁금하신 내용이 있다면 아래 상담톡으로 문의해 주세요. 친절하게 안내해 드릴게요!\n"
        "\n"
        "[채팅상담] "
        "① 카카오 T 고객센터 : https://pf.kakao.com/_VGxikj "
        "② 카카오 T 대리 단독 앱 고객센터 : http://pf.kakao.com/_QNMsM\n"
        "\n"
        "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "대리_챗봇게시판_과태료_담당부서전달_시간소요양해": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 접수해 주신 과태료(범칙금) 건은 담당부서의 확인이 필요하여 전달드렸어요.\n"
        "\n"
        "담당부서에서 순차적으로 확인 후 처리하다 보니 다소 시간이 소요되는 점 양해 부탁드려요.\n"
        "확인이 완료되면 다시 안내해 드릴게요.\n"
        "\n"
        "궁금하신 내용이 있다면 아래 상담톡으로 문의해 주세요. 친절하게 안내해 드릴게요!\n"
        "\n"
        "[채팅상담] "
        "① 카카오 T 고객센터 : https://pf.kakao.com/_VGxikj "
        "② 카카오 T 대리 단독 앱 고객센터 : http://pf.kakao.com/_QNMsM\n"
        "\n"
        "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "대리_챗봇게시판_과태료_처리완료": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 접수해 주신 과태료 건의 처리가 완료되어 안내해 드려요.\n"
        "\n"
        "■ 입금금액 : 23,000원\n"
        "\n"
        "남겨주신 계좌로 입금이 완료되었어요. 이용에 불편을 드려 죄송합니다.\n"
        "\n"
        "궁금하신 내용이 있다면 아래 상담톡으로 문의해 주세요. 친절하게 안내해 드릴게요!\n"
        "\n"
        "[채팅상담] "
        "① 카카오 T 고객센터 : https://pf.kakao.com/_VGxikj "
        "② 카카오 T 대리 단독 앱 고객센터 : http://pf.kakao.com/_QNMsM\n"
        "\n"
        "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    "대리기사_챗봇게시판_과태료_포인트차감예정": (
        "안녕하세요.\n"
        "\n"
        "콜 ID 7001234567 운행 중 발생한 과태료가 접수되어 안내드려요.\n"
        "\n"
        "위반일시와 운행 경로(GPS)를 확인한 결과 해당 운행 중 발생한 과태료로 확인되어, 과태료 금액을 고객님께 지급하고 기사님 포인트에서 차감할 예정이에요.\n"
        "\n"
        "■ 차감 예정금액 : 23,000원\n"
        "\n"
        "다음 운행부터는 주정차 등 교통법규 준수를 부탁드립니다.\n"
        "\n"
        "언제나 기사님의 편리한 운행을 위해 노력할게요! 감사합니다.\n"
        "\n"
        "카카오 T 파트너 운영센터 드림"
    ),
    "대리_챗봇게시판_범칙금_처리완료": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 접수해 주신 범칙금 건에 대해 안내드려요.\n"
        "\n"
        "기사님께 경찰서 내방 및 범칙금 처리를 안내하여 처리가 완료되었어요.\n"
        "동의해 주신 차량번호는 범칙금 처리를 위해서만 기사님께 전달되었어요.\n"
        "\n"
        "이용에 불편을 드려 죄송합니다.\n"
        "\n"
        "궁금하신 내용이 있다면 아래 상담톡으로 문의해 주세요. 친절하게 안내해 드릴게요!\n"
        "\n"
        "[채팅상담] "
        "① 카카오 T 고객센터 : https://pf.kakao.com/_VGxikj "
        "② 카카오 T 대리 단독 앱 고객센터 : http://pf.kakao.com/_QNMsM\n"
        "\n"
        "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
    # Seed 002 1.: "ㄴ처리예정 SMS 발송: ▶ 처리중 (사유: 취소예정)" (named, no text in the seed).
    "대리기사_챗봇게시판_기사미운행건결제취소(처리중)_취소예정": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 접수해 주신 미운행건 결제취소 문의에 대해 안내드려요.\n"
        "\n"
        "확인 결과 결제취소 대상으로 확인되어 취소 처리 예정이에요. 취소가 완료되면 다시 안내해 드릴게요.\n"
        "\n"
        "양해해 주시는 만큼, 최대한 신속히 도움드릴 수 있도록 노력할게요.\n"
        "\n"
        "언제나 기사님의 편리한 운행을 위해 노력할게요! 감사합니다.\n"
        "\n"
        "카카오 T 파트너 운영센터 드림"
    ),
    # Seed 004: 처리완료 for 일반/위탁콜 is not prescribed; same words as the special-issue one.
    "대리_챗봇게시판_과태료_처리완료_일반위탁콜": (
        "안녕하세요.\n"
        "\n"
        "11월 20일 접수해 주신 과태료 건의 처리가 완료되어 안내해 드려요.\n"
        "\n"
        "■ 입금금액 : 23,000원\n"
        "\n"
        "남겨주신 계좌로 입금이 완료되었어요. 이용에 불편을 드려 죄송합니다.\n"
        "\n"
        "궁금하신 내용이 있다면 아래 상담톡으로 문의해 주세요. 친절하게 안내해 드릴게요!\n"
        "\n"
        "[채팅상담] "
        "① 카카오 T 고객센터 : https://pf.kakao.com/_VGxikj "
        "② 카카오 T 대리 단독 앱 고객센터 : http://pf.kakao.com/_QNMsM\n"
        "\n"
        "고객님께서 마음 편히 이용하실 수 있도록 더 노력하겠습니다. 감사합니다.\n"
        "\n"
        "카카오 T 고객센터 드림"
    ),
}


def _render(template, context):
    return render_sms(body=template.body, variables=template.variables, context=context)


@pytest.mark.parametrize("name", NAMES)
def test_template_renders_to_its_golden_text(name):
    template = CATALOGUE_BY_NAME[name]
    context = {k: SAMPLES[k] for k in template.variables}
    assert _render(template, context).text == GOLDEN[name]


def test_golden_covers_the_whole_catalogue():
    assert sorted(GOLDEN) == sorted(NAMES)


def test_names_unique_and_definitions_sound():
    assert len(NAMES) == len(set(NAMES))
    assert len(CATALOGUE_BY_NAME) == len(CATALOGUE)
    for t in CATALOGUE:
        assert t.audience in AUDIENCES, t.name
        assert t.service in ("parking", "driver", "ev", "common"), t.name
        assert t.source and t.description, t.name
        assert set(t.variables.values()) <= set(VARIABLE_TYPES), t.name
        assert template_problems(t.body, t.variables) == [], t.name
        # every declared variable is used, and nothing undeclared is
        assert set(placeholders(t.body)) == set(t.variables), t.name


def test_driver_templates_sign_as_the_partner_center():
    for t in CATALOGUE:
        if t.audience == "driver":
            assert t.body.endswith("카카오 T 파트너 운영센터 드림"), t.name
        else:
            assert t.body.endswith("카카오 T 고객센터 드림"), t.name


@pytest.mark.parametrize("name", NAMES)
def test_within_1000_characters_with_the_longest_values(name):
    template = CATALOGUE_BY_NAME[name]
    context = {k: LONGEST[kind] for k, kind in template.variables.items()}
    rendered = _render(template, context)
    assert rendered.length <= 1000
    assert rendered.within_alimtalk_limit
    assert rendered.unsupported_chars == ()


def test_seed_002_names_are_kept_exactly():
    for name in (
        "대리기사_챗봇게시판_기사미운행건결제취소(승인)",
        "대리_챗봇게시판_기사미운행건결제취소(승인)",
        "대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O",
        "대리기사_챗봇게시판_기사미운행건결제취소(반려)_고객센터기처리",
        "대리기사_챗봇게시판_공용(반려)_접수유형외다른문의",
        "대리기사_챗봇게시판_공용(반려)_중복접수",
    ):
        assert name in CATALOGUE_BY_NAME
    # named without 대리기사 in the seed, yet it is the driver's message
    assert (
        CATALOGUE_BY_NAME["대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O"].audience
        == "driver"
    )
    assert CATALOGUE_BY_NAME["대리_챗봇게시판_기사미운행건결제취소(승인)"].audience == "customer"


# --------------------------------------------------------------------------- playbooks agree


def _check(message):
    assert message.template in CATALOGUE_BY_NAME, message.template
    template = CATALOGUE_BY_NAME[message.template]
    assert set(message.context) == set(template.variables), message.template
    assert message.audience == template.audience, message.template
    assert _render(template, message.context).within_alimtalk_limit


def test_every_branch_message_names_a_catalogue_template_with_its_variables():
    emitted = 0
    for code, facts, at, env in _branch_samples():
        for message in evaluate(code, facts, at, env).messages:
            _check(message)
            emitted += 1
    assert emitted > 20


@pytest.mark.parametrize("code", sorted(OUTCOMES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_emitted_message_agrees_with_the_catalogue(code, data):
    facts = data.draw(facts_strategy(code, with_junk=False))
    at = data.draw(
        st.datetimes(min_value=datetime(2024, 11, 20), max_value=datetime(2025, 1, 10)).map(
            lambda d: d.replace(tzinfo=SEOUL)
        )
    )
    try:
        proposal = evaluate(code, facts, at, AnyRouteEnv())
    except ValidationError:
        return
    for message in proposal.messages:
        _check(message)


def test_every_template_name_a_playbook_declares_is_in_the_catalogue():
    """Static check over every registered playbook (traffic_fine included): TPL_* names."""
    for code, module in PLAYBOOKS.items():
        for attr, value in vars(module).items():
            if not attr.startswith("TPL"):
                continue
            names = value.values() if isinstance(value, dict) else [value]
            for name in names:
                assert name in CATALOGUE_BY_NAME, (code, attr, name)
