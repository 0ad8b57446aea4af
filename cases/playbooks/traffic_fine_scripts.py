"""Seed 004 (과태료 처리 프로세스): the code, version, Agit boards, template names and the seed's scripts.

Split from ``cases.playbooks.traffic_fine`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

from fines import codes

CODE = "traffic_fine"
VERSION = "2024.06.12-2"  # the seed's latest process date (주정차 위반 과태료 처리 프로세스)
#: -2: a place/time mismatch is the seed's 특이이슈 (transfer), rejected only by the manager
TITLE = "과태료 처리 프로세스"
#: Every outcome this playbook gives (DOMAIN.md), code -> Korean label: overrides pick from it.
OUTCOMES = dict(codes.OUTCOMES)

# Agit boards and templates, as the seed names them.
AGIT_CS_BOARD = "[운영] 대리CS대응"
AGIT_TEMPLATES = {
    codes.CAT_GENERAL: "일반_과태료",
    codes.CAT_CONSIGNED: "위탁콜_과태료",
    codes.CAT_SPECIAL: "특이이슈_과태료",
    codes.CAT_PENALTY: "특이이슈_과태료",  # 범칙금 column step 4: 특이이슈_과태료 → 담당자 이관
}
AGIT_CMNP_BOARD = "[운영] 대리 카모-CMNP CS운영"
AGIT_CMNP_TEMPLATE = "[KM > CMNP] 위탁콜 과태료 양식"
AGIT_CASH_BOARD = "대리CS"
AGIT_CASH_TEMPLATE = "과태료 현금 지급 요청"
DRIVER_NOTICE_NO = "기사 앱 공지 961번 (2024.5.31 게시)"

# CEMS template names (templates_app.catalogue holds the texts).
TPL_DEPOSIT_SCHEDULED = "대리_챗봇게시판_과태료_입금예정"
TPL_POINTS_DEDUCTION = "대리기사_챗봇게시판_과태료_포인트차감예정"
TPL_TRANSFER_DELAY = "대리_챗봇게시판_과태료_담당부서전달_시간소요양해"
TPL_DONE = "대리_챗봇게시판_과태료_처리완료"
#: 처리완료 SMS of a general or consigned fine: the seed's 일반/위탁콜 processes have no such
#: step, so it is off until a lead switches the template on (issue 15 B 004).
TPL_DONE_GENERAL = "대리_챗봇게시판_과태료_처리완료_일반위탁콜"
TPL_PENALTY_DONE = "대리_챗봇게시판_범칙금_처리완료"

DOCUMENTS_SCRIPT = (
    "과태료 처리를 위해 {missing}이(가) 필요합니다.\n"
    "번거로우시겠지만 챗봇(T앱) 게시판에 {missing}을(를) 첨부하여 다시 접수해 주시면 "
    "확인 후 안내드리겠습니다."
)
ACCOUNT_FIELDS = "환급받으실 계좌정보(은행, 계좌번호, 예금주)"
# Board answers of the outcomes that send no SMS (written in the seed's voice).
DUPLICATE_ANSWER = (
    "문의하신 과태료 건은 이미 접수되어 처리 중(또는 처리 완료)인 건으로 확인됩니다.\n"
    "먼저 접수해 주신 건으로 안내드릴 예정이니 조금만 기다려 주세요."
)
#: What the customer hears when the driver denies a parking violation (seed 004: "[고객 OB] 기사
#: 주장 전달 + 블랙박스 요청 양해 + 2주 정도 소요 안내"): always "2주 정도", whatever internal
#: submission deadline the center works with.
DASHCAM_SCRIPT = (
    "기사님께서 주차하지 않았다고 말씀하셔서 확인이 필요합니다. 번거로우시겠지만 당시 "
    "블랙박스 영상을 보내 주시겠습니까? 확인까지 2주 정도 소요되는 점 양해 부탁드립니다."
)
MISMATCH_ANSWER = (
    "확인 결과 고지서의 위반일시·장소가 카카오 T 대리 운행 기록과 일치하지 않아 "
    "해당 운행 중 발생한 과태료로 확인되지 않습니다.\n"
    "번거로우시겠지만 위반일시를 다시 확인해 주시겠습니까?"
)
