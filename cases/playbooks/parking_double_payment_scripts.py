"""Seed 000 (이중결제 취소요청 [타사주차권]): the labels, template names and the seed's chat scripts.

Split from ``cases.playbooks.parking_double_payment`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

CODE = "parking_double_payment"
VERSION = "2025.01.16-1"  # seed title: [보관-25.1.16]
TITLE = "이중결제 취소요청 [타사주차권]"
CAMPAIGN_CODE = "parking_ticket_coupon"

LOT_RULES = ("refer_control_center", "center_contacts_control_center", "escalate_agit")
#: The lot facts a lot rule's texts state ("이용하신 주차장은 성북구 공영주차장으로 ...").
_LOT_FACTS = "주차장 명, 주차장 행정구역, 공영주차장 여부"

# The lot rules (성북구·속초시 공영, 인천공항, with the control centers' phones) and the coupon
# link are data a lead edits (rules.LotRule, rules.CenterSettings), read through ``env``
# (site_rules.lot_rules, center.center_rules); today's values are their defaults.

CHANNELS = {"chat": "채팅", "chatbot_board": "챗봇 게시판", "phone": "유선"}
OTHER_APPS = {"modu": "모두의주차장", "tmap": "티맵", "other": "그 외 앱"}
INTEGRATIONS = {"linked": "연동", "unlinked": "비연동", "unaffiliated": "비제휴", "other": "기타"}
# 비제휴 lots have no leaf of their own in the seed's type list (연동, 비연동, 기타).
_TYPE_KEY = {"linked": "linked", "unlinked": "unlinked", "unaffiliated": "other", "other": "other"}

OUTCOME_LABELS = {
    "cancel_pass_payment": "주차패스 결제취소 - 타앱 주차권 O",
    "normal_overtime": "주차패스 정상결제 - 주차권 시간 초과이용 (정상이용)",
    "customer_fault_bought_after_entry": "주차패스 정상결제 - 입차 후 구매 (고객귀책)",
    "customer_fault_info_mismatch": "주차패스 정상결제 - 차량번호/예약일/주차장 정보상이 (고객귀책)",
    "request_evidence": "타사 주차권 내역 요청",
    "refer_control_center": "성북구 공영주차장 - 성북구통합관제센터 문의 안내",
    "center_contacts_control_center": "속초시 공영주차장 - 관제센터 연락 후 사후 안내",
    "escalate_agit": "인천공항 주차장 - 아지트 확인 요청",
    "consultation_restricted": "본인이 아닌 경우 상담제한",
}
#: Every outcome this playbook gives (DOMAIN.md), code -> Korean label: overrides pick from it.
OUTCOMES = dict(OUTCOME_LABELS)

# Template names (templates_app.catalogue holds the texts).
TPL_ONSITE_COUPON = "주차_현장확인_T주차권구매권유_쿠폰지급"
TPL_ONSITE_PLAIN = "주차_현장확인_결과안내"
TPL_BOARD = {
    "cancel_pass_payment": "주차_챗봇게시판_이중결제_주차패스결제취소",
    "normal_overtime": "주차_챗봇게시판_이중결제_정상결제_주차권시간초과",
    "customer_fault_bought_after_entry": "주차_챗봇게시판_이중결제_고객귀책_입차후구매",
    "customer_fault_info_mismatch": "주차_챗봇게시판_이중결제_고객귀책_정보상이",
    "request_evidence": "주차_챗봇게시판_이중결제_타사주차권내역요청",
    "refer_control_center": "주차_챗봇게시판_이중결제_성북구통합관제센터안내",
    "follow_up": "주차_챗봇게시판_이중결제_확인후안내",
}
TPL_COUPON = {
    "cancel_pass_payment": "주차_T주차권구매권유_쿠폰지급_결제취소",
    "normal_overtime": "주차_T주차권구매권유_쿠폰지급_정상이용",
    "fault": "주차_T주차권구매권유_쿠폰지급_고객귀책",
}
#: A lead set a coupon expiry on the campaign: the variant with "- 사용기한 : ~까지".
TPL_COUPON_WITH_EXPIRY = {key: f"{name}_사용기한" for key, name in TPL_COUPON.items()}
TPL_ONSITE_OVERTIME_COUPON = "주차_현장확인_정상이용_T주차권구매권유_쿠폰지급"
TPL_ONSITE_OVERTIME_PLAIN = "주차_현장확인_정상이용_결과안내"
#: Step kinds whose text is not said to the customer (Agit post, a call to a control center,
#: the consultation record): they keep the lot's name without 소유인증.
_INTERNAL_STEP_KINDS = frozenset({"post", "action", "memo"})

# --------------------------------------------------------------------------- scripts (seed 000)

EVIDENCE_ASK = "번거로우시겠지만 이용하신 주차권의 날짜와 차량번호가 확인되도록 이용내역을 첨부해 주시겠습니까?"
EVIDENCE_ASK_MODU = (
    "번거로우시겠지만 이용하신 주차권의 날짜와 차량번호가 확인되도록, "
    "'예약내역'과 '결제내역'을 첨부해 주시겠습니까?"
)
EVIDENCE_THANKS = "첨부해 주셔서 감사합니다."

CANCEL_EXPLAIN = (
    "주차권이 정상적으로 적용되었다면 주차패스 내역은 생성되더라도 결제되지 않아요.\n"
    "다만, 주차권이 제대로 적용되지 않아 결제가 이루어진 상황으로 확인됩니다.\n\n"
    "첨부해 주신 내역으로 주차패스 결제 건은 바로 취소처리하겠습니다.\n"
    "카드사에 따라 취소 이후 실제 환불까지 영업일 기준 3~5일의 시간이 소요될 수 있으니 "
    "양해 부탁드립니다."
)
OVERTIME_EXPLAIN = (
    "확인해 보니 고객님께서 이용하신 주차권은 {hours}시간권입니다.\n"
    "주차장을 이용하신 시간은 총 {used}으로 확인되고 있는데요.\n\n"
    "주차권 적용 후 남은 {excess}에 대한 요금 {amount}이 결제된 것으로 확인되어 "
    "걱정하지 않으셔도 괜찮습니다."
)
AFTER_ENTRY_EXPLAIN = (
    "다만 {ticket}을 입차 후 구매하신 내역으로 확인됩니다.\n"
    "입차 후 구매 시 주차권 적용이 어려울 수 있어요.\n\n"
    "번거로우시겠지만 주차권 관련하여 {seller} 측으로 문의해 주시겠습니까?"
)
MISMATCH_EXPLAIN = (  # the seed's "[..]는 OOO입니다 ... [..]은 OOO으로", particles fitted
    "확인해 보니 고객님께서 예약하신 주차권의 {item_topic} {reserved}입니다. "
    "다만 실제 이용하신 {item_topic} {actual_with}확인됩니다. "
    "카카오 T로 결제된 요금은 정상 이용하신 내역으로 확인되어, 번거로우시겠지만 주차권 환불 "
    "관련하여 {seller} 측으로 문의해 주시겠습니까?"
)

COUPON_INTRO = {
    "cancel_pass_payment": (
        "이번에 다른 업체의 주차권이 자동으로 적용되지 않아 많이 불편하셨을 것 같아요.\n\n"
        "카카오 T 주차권은 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 "
        "다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요."
    ),
    "normal_overtime": (
        "이번에 다른 업체의 주차권과 주차패스의 결제 건으로 혼동되어 많이 불편하셨을 것 같아요.\n"
        "카카오 T 주차권은 주차패스와 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 "
        "있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요."
    ),
    "fault": (
        "해당 건은 안타깝게도 {reason} 사유로 주차권 적용이 되지 않았던 것 같아요.\n"
        "결제된 내역에 대해 도움을 드리긴 어렵지만, 카카오 T 주차권은 주차패스와 이중결제 걱정 "
        "없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요."
    ),
}
COUPON_BODY = (
    "\n\n더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요.\n\n"
    "[쿠폰 사용 안내]\n"
    "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매 전용\n"
    "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
    "{expiry_line}"
    "쿠폰 발급이 완료되면 아래의 링크에서 확인하실 수 있어요.\n"
    "{link}\n\n"
    "편리한 주차서비스를 카카오 T와 함께 경험해 보시길 바랄게요."
)


RESTRICTED_SCRIPT = (
    "죄송하지만 고객님의 개인정보 보호를 위해, 카카오 T 계정 가입자 본인이 아닌 경우 이용 "
    "건에 대한 상담이 제한됩니다.\n"
    "번거로우시겠지만 가입자 본인께서 직접 문의해 주시면 확인 후 안내 도와드리겠습니다."
)
