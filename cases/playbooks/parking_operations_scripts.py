"""Seed 001 ([주차] 고객센터 업무처리 프로세스): the code, version, request kinds, labels, outcome titles and the seed's scripts.

Split from ``cases.playbooks.parking_operations`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

CODE = "parking_operations"
VERSION = "2025.05.01-2"  # newest rule date in seed 001: 운영사별 담당자 25.5.1부터
#: -2: 하이파킹 site contact not yet shared -> next business day (step clocks, issue 9)

REQUEST_KINDS = {
    "car_number_change": "정기권 차량번호 변경",
    "unregistered": "정기권 미등록",
    "midterm_cancel": "정기권 중도해지, 환불",
    "onsite_payment_cancel": "정기권 현장결제 취소",
    "lot_info_change": "주차장 정보수정",
    "stop_selling": "노출/판매중지 요청",
    "parking_ticket": "주차권",
    "parking_refund": "주차요금 환불(현장 환불정책)",
}
# The 운영사 and the 현장 구분 are rows a lead edits (``partners.Partner``,
# ``partners.SiteKindOption``), read through ``env.partner_names(at)`` / ``env.site_kind_names(at)``
# (issue 15 A.2); ``DEFAULT_PARTNERS`` / ``DEFAULT_SITE_KINDS`` (site_rules) are only pure code's
# copy of today's rows. The rules below that name a kind (T월주차권, 수동현장) name its code.
INTEGRATIONS = {"linked": "연동", "unlinked": "비연동", "unaffiliated": "비제휴"}
TOPICS = {"fee": "주차요금", "address": "주소 및 기타", "contract": "계약정보"}
SPECIAL_SITES = {"building_63": "63빌딩", "k_twin_tower": "케이트윈타워"}
CHANNEL_LABELS = {
    "slack": "Slack",
    "email": "E-mail",
    "agit": "아지트",
    "partner_web": "운영사 웹사이트",
    "amano_share": "아마노쉐어 게시판",
    "google_sheet": "Google Sheet",
    "app_direct": "앱에서 직접 변경",
    "admin_direct": "주차 어드민 직접 변경",
    "hotline": "핫라인",
}
# channel kind -> (step kind, who the step then waits on)
_EXECUTION = {
    "slack": ("action", "partner"),
    "email": ("action", "partner"),
    "agit": ("post", "team"),
    "partner_web": ("action", None),
    "amano_share": ("post", "partner"),
    "google_sheet": ("action", "partner"),
    "app_direct": ("action", None),
    "admin_direct": ("action", None),
    "hotline": ("action", "partner"),
}
# 63빌딩's refund policy text lives on its Site row (partners.Site.special_policy, read through
# env.site_rule): that row is the single source (issue 15 A.2).
REFUND_RULE = "경과일 수 x 일최대요금"

#: Table 2's T월 주차권 rows ("직접 앱에서 차량번호 변경 (25.3월 정기권부터 적용)") are keyed on
#: the pass's month: the fact ``start_date`` (정기권 시작일) gives it (route key ``pass_month``).
SEASON_PASS_MONTH_KINDS = {"car_number_change", "unregistered"}

#: Table 7, 63빌딩 환불정책: "1.한화생명 직원 할인 미적용 시, 2. 식음업장 할인 미적용 주장 시 증빙
#: 확인 요청, 없을 경우 운영사 확인해보겠다고 안내 후 결제취소". Other claims are not in the policy.
DISCOUNT_CLAIMS = {
    "hanwha_employee": "한화생명 직원 할인 미적용",
    "fnb_discount": "식음업장 할인 미적용",
    "other": "그 외 (환불정책 대상 아님)",
}
SITE_EVIDENCE_REQUEST_SCRIPT = (
    "{claim} 건은 증빙 확인이 필요합니다. 할인 대상임을 확인할 수 있는 증빙을 보내 주시면 "
    "확인 후 처리해 드리겠습니다."
)
SITE_NO_EVIDENCE_SCRIPT = (
    "증빙이 없으신 경우 운영사에 확인해 보겠습니다. 결제하신 주차요금은 취소해 드리겠습니다."
)
#: Table 6 (주차권): "아지트 기존 업무 유지하되, 운영사 확인 요청이 필요한 경우 위 담당자 참고해서
#: 처리 / 처리불가 시 사업담당(@owner4, @owner5, @owner6, @owner7) 멘션". "위 담당자" = the
#: partner's contacts of the tables above; table 4 (현장결제 취소) is the one keyed by partner alone.
TICKET_OPERATOR_KIND = "onsite_payment_cancel"
OUTCOME_TITLES = {
    "follow_route": "처리경로 진행",
    "explain_refund": "환불금 안내",
    "escalate_business_owner": "미수긍 사업담당 멘션",
    "needs_review": "처리경로 확인 필요",
    "request_site_evidence": "증빙 확인 요청",
    "cancel_site_payment": "결제취소 (현장 환불정책)",
}

#: Every outcome this playbook gives, code -> Korean label (DOMAIN.md names only "a route"; the
#: codes are README's "Seed 001 outcome codes"): overrides pick from it.
OUTCOMES = dict(OUTCOME_TITLES)

_PARTNER_KINDS = {"car_number_change", "unregistered", "midterm_cancel", "onsite_payment_cancel"}
_SITE_KIND_KINDS = {"car_number_change", "unregistered", "midterm_cancel"}
_MIDTERM_FIELDS = {
    "paid_amount": "결제금액",
    "start_date": "정기권 시작일",
    "cancel_date": "해지일",
    "daily_max_fee": "일최대요금",
}
