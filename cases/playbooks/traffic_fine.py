"""Seed 004: [챗보드-T앱 게시판] 과태료 처리 프로세스 (traffic fines and penalty notices).

Who handles a fine depends on its category (구분), see :func:`fines.codes.category_of`:
일반_과태료 -> the agent; 위탁콜_과태료 -> the agent, then the manager claims from the partner
(2024.6.1 process); 특이이슈_과태료 and 범칙금 -> the manager (담당자(관리자) 이관).

Order of decision, as the seed reads every column:

1. 중복 여부 체크 (중요): the fines service looks the call ID up in the fine notices and the
   payout ledger *before* proposing and passes what it found in (``duplicate_of_case_id``,
   ``earlier_payout_id``). Either -> ``rejected_duplicate`` pointing at the first. This comes
   before the document check: a re-sent fine without attachments is still the same fine.
2. 첨부파일(고지서), 고객 계좌정보 기재 확인: no notice image or no bank account ->
   ``request_documents`` (every column starts with this check, 범칙금 included).
3. 증빙자료 확인 (위반일시와 운행 건 GPS 경로): the service's evidence check result is passed in
   (``evidence_result``). ``fail`` is the seed's 특이이슈 "장소, 시간 불일치 건" (② 3.: "장소/시간
   불일치, 주정차위반 등 특이이슈 과태료에 해당하는 경우" -> 4. 특이이슈_과태료 → 담당자(관리자)
   이관, 5. 시간소요 양해 SMS): ``transfer_to_manager``, with a step where the manager checks
   the ride. The seed never rejects at the agent's desk; ``rejected_evidence_mismatch`` is
   the manager's finding after that check (``evidence_rejected``: the fine is not of this ride).
   The manager finding the ride right after all (``evidence_override``) keeps the transfer and
   pays as a special-issue fine. ``unknown`` adds a manual check step, it does not reject.
4. Category: 일반/위탁콜 -> ``payout``; 특이이슈/범칙금 -> ``transfer_to_manager``.

Pure: the only non-fact inputs are ``at`` (payout batch time, dashcam deadline) and the payout
policy and branch account read from settings (configuration, not data).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from rest_framework import serializers

from cases.consultation_types import TRAFFIC_FINE
from fines import codes
from fines.accounts import AccountFormatError, check_account_format, mask_account
from fines.banks import BANK_CHOICES
from fines.schedule import PayoutPolicy, scheduled_payout_at

from . import _common as c
from .base import (
    ALL,
    MANAGER,
    ConsultationRecord,
    Env,
    EscalationSpec,
    MessageSpec,
    Proposal,
    Step,
)
from .center import CenterRules, center_rules

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


# --------------------------------------------------------------------------- decision


def is_place_time_mismatch(facts: dict) -> bool:
    """The evidence check found the notice's time or place off the ride's record."""
    return facts.get("evidence_result") == codes.EVIDENCE_FAIL


def violation_kind(facts: dict) -> str:
    """The fine's kind as the seed files it: a general fine whose time or place does not
    match the ride is the seed's first special issue, "장소, 시간 불일치 건"."""
    kind = facts.get("violation_kind", codes.GENERAL)
    if is_place_time_mismatch(facts) and kind == codes.GENERAL:
        return codes.PLACE_TIME_MISMATCH
    return kind


def category(facts: dict) -> str:
    return codes.category_of(
        call_type=facts.get("call_type", codes.OWN),
        notice_type=facts.get("notice_type", codes.FINE),
        violation_kind=violation_kind(facts),
    )


def missing_documents(facts: dict) -> list[str]:
    missing = []
    if not facts.get("has_notice_image"):
        missing.append("과태료 고지서 이미지")
    if not facts.get("has_account"):
        missing.append(ACCOUNT_FIELDS)
    return missing


def decide(facts: dict) -> str:
    if facts.get("duplicate_of_case_id") or facts.get("earlier_payout_id"):
        return codes.REJECTED_DUPLICATE
    if missing_documents(facts):
        return codes.REQUEST_DOCUMENTS
    if is_place_time_mismatch(facts) and facts.get("evidence_rejected"):
        # The manager's finding after the transfer: not a fine of this ride.
        return codes.REJECTED_EVIDENCE_MISMATCH
    if category(facts) in (codes.CAT_SPECIAL, codes.CAT_PENALTY):
        return codes.TRANSFER_TO_MANAGER
    return codes.PAYOUT


def is_parking_dispute(facts: dict) -> bool:
    return bool(facts.get("driver_disputes")) and facts.get("violation_kind") in codes.PARKING_KINDS


# --------------------------------------------------------------------------- texts


def _kind_label(facts: dict) -> str:
    return codes.VIOLATION_KINDS.get(violation_kind(facts), "")


def _violation_line(facts: dict) -> str:
    parts = []
    if facts.get("violation_at"):
        parts.append(c.ymd_hm(facts["violation_at"]))
    if facts.get("violation_place"):
        parts.append(facts["violation_place"])
    return " / ".join(parts) or "-"


def _amount(facts: dict) -> str:
    return c.won(facts["amount"]) if facts.get("amount") else "-"


def _summary_lines(facts: dict, cat: str) -> list[str]:
    return [
        f"-콜ID: {facts['call_id']}",
        f"-구분: {codes.CATEGORIES[cat]} ({codes.CALL_TYPES[facts.get('call_type', codes.OWN)]}"
        f" / {codes.NOTICE_TYPES[facts.get('notice_type', codes.FINE)]}"
        f" / {_kind_label(facts)})",
        f"-위반일시/장소: {_violation_line(facts)}",
        f"-금액: {_amount(facts)}",
    ]


def _record(title: str, facts: dict, cat: str, notes: list[str]) -> ConsultationRecord:
    inquiry = "\n".join(["[고객] 과태료(범칙금) 발생 접수", *_summary_lines(facts, cat)])
    return ConsultationRecord(
        title=f"[{codes.CATEGORIES[cat]}] {title} (콜ID {facts['call_id']})",
        inquiry=inquiry,
        notes="\n".join(notes),
    )


def _agit_body(facts: dict, cat: str, extra: list[str]) -> str:
    lines = [f"[{AGIT_TEMPLATES[cat]}] 과태료 접수", *_summary_lines(facts, cat)]
    if facts.get("account_masked"):
        lines.append(f"-고객 계좌: {facts['account_masked']} / {facts.get('account_holder', '')}")
    if facts.get("car_number"):
        lines.append(f"-차량번호: {facts['car_number']}")
    lines.extend(extra)
    return "\n".join(lines)


# --------------------------------------------------------------------------- steps


def _intake_steps(facts: dict) -> list[Step]:
    steps = [
        Step(
            "intake",
            "(챗보드/T앱 게시판) 고객 과태료 접수 · 첨부파일(고지서), 고객 계좌정보 기재 확인",
            ALL,
            kind="check",
        ),
        Step(
            "duplicate_check",
            "콜ID 조회로 중복 여부 체크 (중요) · 중복건 발생 시 고지서 및 내용 중복 체크 필수",
            ALL,
            kind="check",
        ),
        Step(
            "evidence_check",
            "과태료 증빙자료 확인 · 위반일시와 운행 건(GPS 경로) 일치 확인",
            ALL,
            facts.get("evidence_reason", ""),
            kind="check",
        ),
    ]
    if facts.get("same_call_case_id"):
        earlier = facts.get("same_call_violation_at")
        when = f", 위반일시 {c.ymd_hm(earlier)}" if earlier else ""
        steps.append(
            Step(
                "content_duplicate_check",
                "중복건 발생: 과태료 고지서 및 내용 중복 체크 필수 · 같은 콜ID의 다른 고지서 "
                f"(케이스 #{facts['same_call_case_id']}{when})와 다른 위반인지 확인",
                ALL,
                f"이번 고지서 위반일시 {_violation_line(facts)}: 같은 위반을 다시 보낸 것이면 "
                "중복 접수로 바꿉니다.",
                kind="check",
            )
        )
    if facts.get("evidence_result", codes.EVIDENCE_UNKNOWN) == codes.EVIDENCE_UNKNOWN:
        steps.append(
            Step(
                "evidence_manual",
                "운행 기록이 부족해 자동 확인 불가: 어드민 운행 건(GPS 경로)을 직접 확인",
                ALL,
                kind="check",
            )
        )
    return steps


def _ledger_check(roles) -> Step:
    return Step(
        "ledger_check",
        "과태료 처리 여부 재확인: 어드민 → 정산 → 과태료 관리 → 콜ID 검색 → 지급 여부 확인",
        roles,
        kind="check",
    )


def _payout_step(roles) -> Step:
    return Step(
        "payout_create",
        "신규 지급 건 생성 → 과태료 체크 → 콜ID(숫자) 입력 → [금액, 계좌번호, 예금주] 정확하게 "
        "입력 → 계좌 유효성체크 → 계좌인증 성공(생성완료) · 생성 시간에 따라 당일 또는 익일 14시 지급",
        roles,
        kind="payout",
        waits_on="payout_batch",
        due_rule="payout_batch",
    )


def _deposit_sms_step(roles) -> Step:
    # Automatic: the deposit SMS goes by itself once the payout step (and all before) is done.
    return Step("sms_deposit_scheduled", "[고객] 입금 예정 SMS 전송", roles, kind="sms", auto=True)


def _history_step(roles) -> Step:
    return Step("agit_history", "처리 결과 아지트 히스토리 작성", roles, kind="post")


def _agit_step(cat: str, roles, *, transfer: bool, attach: str) -> Step:
    label = f"아지트 작성: {AGIT_CS_BOARD} → {AGIT_TEMPLATES[cat]}"
    if transfer:
        label += " → 담당자(관리자) 이관"
    return Step("agit_post", f"{label} · 댓글 첨부: {attach}", roles, kind="post")


def _cmnp_steps(branch_account: str) -> list[Step]:
    return [
        Step(
            "agit_cmnp",
            f"아지트 ②: {AGIT_CMNP_BOARD} → {AGIT_CMNP_TEMPLATE} 작성",
            ALL,
            kind="post",
        ),
        Step(
            "partner_deposit_request",
            "[담당자] 기사(또는 업체)에 과태료 발생 및 입금지사 계좌로 입금 요청 "
            "(과태료/범칙금 고지서 MMS 전달) + 입금지사 계좌번호 안내",
            MANAGER,
            f"예금주 : {branch_account} ★반드시 기사명으로 입금하도록 요청",
            kind="action",
            waits_on="partner",
        ),
    ]


def _dispute_steps(facts: dict, at: datetime, rules: CenterRules | None = None) -> list[Step]:
    due = c.seoul(at).date() + timedelta(days=_dashcam_days(rules))
    return [
        Step(
            "dispute_arrival_check",
            "[주정차 위반 기사 미인정] 어드민 확인 시 도착지와 위반장소 동일 여부 확인",
            MANAGER,
            kind="check",
        ),
        Step(
            "dispute_driver_ob",
            "[기사 OB] 미인정 시, 주차한 주체가 기사님이 맞으니 기사님에게 부과됨 안내 "
            "(인정 시 특이이슈 과태료 처리 프로세스대로 진행)",
            MANAGER,
            f"이미 공지({DRIVER_NOTICE_NO})에도 일반 주차 구역에 주차완료하시게끔 안내드렸습니다. "
            "기사님께서 부담하셔야 하고, 다음번부터는 위반구역에 주차하지 않도록 주의 부탁드립니다.",
            kind="say",
            waits_on="driver",
        ),
        Step(
            "dispute_dashcam_request",
            "(안내했으나 지속 미인정 시) [고객 OB] 기사 주장 전달 + 블랙박스 요청 양해 + "
            f"2주 정도 소요 안내 (제출 기한 {c.ymd(due)})",
            MANAGER,
            DASHCAM_SCRIPT,
            kind="say",
            waits_on="customer",
            due_rule=f"days:{_dashcam_days(rules)}",
        ),
        Step(
            "dispute_resolve",
            "① 블랙박스 제출: 고객 주장이 맞는 경우 → 기사에게 부과 · "
            "② 블랙박스 미제출(기간 경과 삭제 등): 추가 요청 없이 현금 지급 → 신분증 사본(주민번호 "
            "모두 기재) + 신분증과 동일한 고객 명의 계좌 사본 요청 (채팅상담)",
            MANAGER,
            kind="action",
        ),
        Step(
            "dispute_driver_split",
            "[기사 OB] 기사 50% / 당사 50%로 지급 협의 (전액 지원은 없음)",
            MANAGER,
            kind="say",
            waits_on="driver",
        ),
        Step(
            "dispute_cash_post",
            f"아지트 작성: {AGIT_CASH_BOARD} > [{AGIT_CASH_TEMPLATE}] · 기사/고객 정보 파일 "
            "댓글 첨부, 채팅상담 ID 기재 · 현금지급 확정 + 고객 계좌/신분증 받은 건에 한해 작성",
            MANAGER,
            kind="post",
        ),
    ]


def _dashcam_days(rules: CenterRules | None = None) -> int:
    """블랙박스 대기 일수 of the center settings in force (rules.CenterSettings via env)."""
    return (rules or CenterRules()).dashcam_wait_days


def _branch_account(rules: CenterRules | None = None) -> str:
    """입금지사 계좌 of the center settings in force (rules.CenterSettings via env)."""
    return (rules or CenterRules()).deposit_account


# --------------------------------------------------------------------------- proposals


def _base(outcome: str, reason: str, cat: str, **kw) -> Proposal:
    return Proposal(
        playbook=CODE,
        version=VERSION,
        outcome=outcome,
        reason=reason,
        consultation_type=TRAFFIC_FINE[cat],
        **kw,
    )


def _figures(facts: dict, cat: str, **extra) -> dict[str, Any]:
    return {
        "category": cat,
        "call_id": facts["call_id"],
        "call_type": facts.get("call_type", codes.OWN),
        "notice_type": facts.get("notice_type", codes.FINE),
        "violation_kind": facts.get("violation_kind", codes.GENERAL),
        "amount": facts.get("amount"),
        "evidence_result": facts.get("evidence_result", codes.EVIDENCE_UNKNOWN),
        **extra,
    }


def _propose_duplicate(facts: dict, cat: str) -> Proposal:
    first = facts.get("duplicate_of_case_id")
    payout = facts.get("earlier_payout_id")
    where = []
    if first:
        where.append(f"케이스 #{first}")
    if payout:
        where.append(f"지급 건 #{payout}")
    reason = (
        f"같은 콜ID({facts['call_id']})·같은 고지서(위반일시)의 과태료가 이미 접수/지급되어 있습니다: "
        + ", ".join(where)
    )
    notes = [f"-처리내용: 중복 접수 → 원건 {', '.join(where)} 확인", *_summary_lines(facts, cat)]
    return _base(
        codes.REJECTED_DUPLICATE,
        reason,
        cat,
        steps=tuple(
            _intake_steps(facts)[:2]
            + [
                Step(
                    "point_to_first",
                    f"원건({', '.join(where)})의 처리 내용으로 답변 (신규 지급 건 생성 금지)",
                    ALL,
                    kind="say",
                )
            ]
        ),
        record=_record("중복 접수", facts, cat, notes),
        result_type="rejected_duplicate",
        figures=_figures(
            facts,
            cat,
            duplicate_of_case_id=first,
            earlier_payout_id=payout,
            answer=DUPLICATE_ANSWER,
        ),
    )


def _propose_documents(facts: dict, cat: str) -> Proposal:
    missing = missing_documents(facts)
    words = ", ".join(missing)
    script = DOCUMENTS_SCRIPT.format(missing=words)
    return _base(
        codes.REQUEST_DOCUMENTS,
        f"{words} 누락: 고객에게 보완 요청",
        cat,
        steps=(
            Step(
                "intake",
                "(챗보드/T앱 게시판) 고객 과태료 접수 · 첨부파일(고지서), 고객 계좌정보 기재 확인",
                ALL,
                kind="check",
            ),
            Step(
                "request_documents",
                f"{words} 보완 요청 답변",
                ALL,
                script,
                kind="say",
                waits_on="customer",
            ),
        ),
        record=_record("서류 보완 요청", facts, cat, [f"-처리내용: {words} 보완 요청"]),
        figures=_figures(facts, cat, missing=missing, answer=script),
    )


def _propose_mismatch(facts: dict, cat: str) -> Proposal:
    """반려 (증빙 불일치): the manager checked the transferred 장소·시간 불일치 fine and found it
    is not of this ride (or a lead chose this outcome). The customer is answered, nothing paid."""
    why = facts.get("evidence_reason") or "위반일시·장소가 운행 기록과 다릅니다."
    return _base(
        codes.REJECTED_EVIDENCE_MISMATCH,
        f"증빙 불일치: {why} (담당자(관리자) 확인 결과 해당 운행 중 발생한 과태료 아님)",
        cat,
        steps=tuple(
            _intake_steps(facts)
            + [
                Step(
                    "answer_mismatch",
                    "[고객] 증빙 불일치 답변: 위반일시·장소가 운행 기록과 일치하지 않음",
                    MANAGER,
                    MISMATCH_ANSWER,
                    kind="say",
                ),
                _history_step(MANAGER),
            ]
        ),
        record=_record("증빙 불일치", facts, cat, [f"-처리내용: 증빙 불일치 ({why})"]),
        result_type="rejected_unable",
        figures=_figures(facts, cat, evidence_reason=why, answer=MISMATCH_ANSWER),
    )


def deposit_context(*, received_on: date, amount: int, scheduled_at: datetime) -> dict[str, Any]:
    """Values of the customer's 입금 예정 SMS (one definition for the playbook and the ledger)."""
    return {
        "received_on": received_on,
        "amount": amount,
        "payout_on": c.seoul(scheduled_at).date(),
    }


def points_context(*, call_id: str, amount: int) -> dict[str, Any]:
    """Values of the driver's 포인트 차감 예정 SMS: the call ID is required by the seed."""
    return {"call_id": call_id, "amount": amount}


def done_context(*, received_on: date, amount: int) -> dict[str, Any]:
    """처리완료 (입금 완료) SMS to the customer, sent when the batch has paid."""
    return {"received_on": received_on, "amount": amount}


def received_context(*, received_on: date) -> dict[str, Any]:
    """시간소요 양해 and 범칙금 처리완료 SMS: only the day the customer sent the fine in."""
    return {"received_on": received_on}


def _received_on(facts: dict, at: datetime) -> date:
    return facts.get("received_on") or c.seoul(at).date()


def template_on(env: Env | None, code: str, *, default: bool) -> bool:
    """A lead's on/off switch of a template, asked through ``env`` (stored data); an env that
    cannot tell (None, or one without ``template_enabled``) answers ``default``."""
    ask = getattr(env, "template_enabled", None)
    return default if ask is None else bool(ask(code, default))


def _done_sms_step() -> Step:
    return Step(
        "sms_done",
        "입금 완료 시 [고객] 처리완료 SMS 발송 (팀장 설정 문자: 14:00 배치 지급 후 발송)",
        ALL,
        kind="sms",
        waits_on="payout_batch",
    )


def _payout_messages(
    facts: dict, at: datetime, scheduled: datetime, *, driver_sms: bool
) -> list[MessageSpec]:
    call_id, amount = facts["call_id"], facts["amount"]
    messages = [
        MessageSpec(
            TPL_DEPOSIT_SCHEDULED,
            "customer",
            deposit_context(
                received_on=_received_on(facts, at), amount=amount, scheduled_at=scheduled
            ),
            step="sms_deposit_scheduled",
        )
    ]
    if driver_sms:
        messages.append(
            MessageSpec(
                TPL_POINTS_DEDUCTION,
                "driver",
                points_context(call_id=call_id, amount=amount),
                step="sms_points_deduction",
            )
        )
    return messages


def _propose_payout(facts: dict, cat: str, at: datetime, env: Env | None = None) -> Proposal:
    # The cutoff/batch in force at ``at`` (rules.CenterSettings through env; issue 15).
    rules = center_rules(env, at)
    scheduled = scheduled_payout_at(at, PayoutPolicy.from_rules(rules))
    consigned = cat == codes.CAT_CONSIGNED
    attach = "고객 계좌정보 엑셀파일 + 고지서 이미지"
    steps = _intake_steps(facts)
    if consigned:
        # 2024.6.1 process: ledger, payout, customer SMS, then the two Agit posts.
        steps += [_ledger_check(ALL), _payout_step(ALL), _deposit_sms_step(ALL)]
        steps.append(
            Step(
                "agit_post",
                f"아지트 ①: {AGIT_CS_BOARD} → {AGIT_TEMPLATES[cat]} · 댓글 첨부: {attach}",
                ALL,
                kind="post",
            )
        )
        steps += _cmnp_steps(_branch_account(rules))
    else:
        steps += [
            _agit_step(cat, ALL, transfer=False, attach=attach),
            _ledger_check(ALL),
            _payout_step(ALL),
            _deposit_sms_step(ALL),
            Step(
                "sms_points_deduction",
                "[기사] 포인트 차감 예정 SMS 전송 - 콜 ID 기재 (MCRM)",
                ALL,
                kind="sms",
                auto=True,
            ),
            _history_step(ALL),
        ]
    messages = _payout_messages(facts, at, scheduled, driver_sms=not consigned)
    if template_on(env, TPL_DONE_GENERAL, default=False):
        # Not in the seed's 일반/위탁콜 process: only when a lead has switched it on. Drafted
        # now, released by the batch when the money has left (fines.services.batch._on_paid).
        steps.append(_done_sms_step())
        messages.append(
            MessageSpec(
                TPL_DONE_GENERAL,
                "customer",
                done_context(received_on=_received_on(facts, at), amount=facts["amount"]),
                step="sms_done",
            )
        )
    when = f"{c.ymd_hm(scheduled)} 지급"
    escalation = EscalationSpec(
        board=AGIT_CS_BOARD,
        template=AGIT_TEMPLATES[cat],
        body=_agit_body(facts, cat, [f"-지급 예정: {when}"]),
    )
    extra_posts = []
    if consigned:
        extra_posts.append(
            {
                "board": AGIT_CMNP_BOARD,
                "template": AGIT_CMNP_TEMPLATE,
                "body": _agit_body(
                    facts,
                    cat,
                    [
                        f"-입금지사 계좌: {_branch_account(rules)}",
                        "★반드시 기사명으로 입금하도록 요청",
                    ],
                ),
            }
        )
    notes = [
        f"-처리내용: 과태료 지급 건 생성 ({_amount(facts)}, {when})",
        "-고객 입금 예정 SMS 발송" + ("" if consigned else ", 기사 포인트 차감 예정 SMS 발송"),
    ]
    if consigned:
        notes.append("-위탁콜: 담당자 기사(업체) 입금 요청 예정 (CMNP 양식 작성)")
    return _base(
        codes.PAYOUT,
        f"{codes.CATEGORIES[cat]}: 지급 건 생성, {when}",
        cat,
        steps=tuple(steps),
        messages=tuple(messages),
        record=_record("과태료 지급", facts, cat, notes),
        result_type="approved",
        escalation=escalation,
        operations_memo=f"과태료 지급 {_amount(facts)} · {when}",
        figures=_figures(
            facts,
            cat,
            scheduled_payout_at=scheduled.isoformat(),
            charge_driver=not consigned,
            extra_escalations=extra_posts,
            branch_account=_branch_account(rules) if consigned else None,
        ),
    )


def _propose_transfer(
    facts: dict, cat: str, at: datetime, env: Env | None = None, *, chosen: bool = False
) -> Proposal:
    rules = center_rules(env, at)  # dashcam wait, 50/50 split, 입금지사 account (issue 15)
    penalty = cat == codes.CAT_PENALTY
    consigned = facts.get("call_type") == codes.CONSIGNED
    dispute = is_parking_dispute(facts)
    attach = (
        "고객 차량번호 엑셀파일 + 고지서 이미지"
        if penalty
        else "고객 계좌정보 엑셀파일 + 고지서 이미지 + 기타 전달 필요 내용 기재"
    )
    steps = _intake_steps(facts)
    steps += [
        _agit_step(cat, ALL, transfer=True, attach=attach),
        Step(
            "sms_transfer_delay",
            "[고객] 담당부서 전달 시간소요 양해 SMS 발송",
            ALL,
            kind="sms",
            waits_on="team",
        ),
    ]
    messages = [
        MessageSpec(
            TPL_TRANSFER_DELAY,
            "customer",
            received_context(received_on=_received_on(facts, at)),
        ),
    ]
    mismatch = is_place_time_mismatch(facts)
    if mismatch and not facts.get("evidence_override"):
        # ② [담당자(관리자) 처리] starts by checking the ride the agent could not match.
        steps.append(
            Step(
                "manager_evidence_review",
                "[담당자] 장소·시간 불일치 확인: 운행 건(GPS 경로)이 맞으면 특이이슈 과태료로 "
                "지급 (증빙 불일치 승인), 운행 중 발생한 과태료가 아니면 반려 (증빙 불일치)",
                MANAGER,
                facts.get("evidence_reason", ""),
                kind="check",
                waits_on="team",
            )
        )
    figures: dict[str, Any] = {}
    if penalty:
        steps += [
            Step(
                "penalty_consent",
                "[고객 OB] 차량 번호 전달 동의 확인 (기사 내방 시 필요) · 개인정보수집동의 필수",
                MANAGER,
                "동의가 없으면 차량번호를 기사에게 전달하지 않습니다.",
                kind="say",
                waits_on="customer",
            ),
            Step(
                "penalty_driver_ob",
                "[기사 OB] 경찰서 내방할 수 있도록 안내 및 고객 차량 번호 전달 (동의 확인 후)",
                MANAGER,
                kind="say",
                waits_on="driver",
            ),
            Step("penalty_mms", "증빙자료 이미지 첨부하여 MMS 발송", MANAGER, kind="sms"),
            _history_step(MANAGER),
            Step("sms_done", "처리완료 시 [고객] SMS 발송", MANAGER, kind="sms"),
        ]
    else:
        if dispute:
            steps += _dispute_steps(facts, at, rules)
            if facts.get("amount"):
                driver, company = rules.split(facts["amount"])
                figures.update(cash_driver_share=driver, cash_company_share=company)
            figures["dashcam_due_on"] = (
                c.seoul(at).date() + timedelta(days=_dashcam_days(rules))
            ).isoformat()
        else:
            steps.append(Step("driver_ob", "필요 시 기사 OB 확인 진행", MANAGER, kind="say"))
        steps += [
            _ledger_check(MANAGER),
            _payout_step(MANAGER),
            _deposit_sms_step(MANAGER),
            _history_step(MANAGER),
            Step("sms_done", "처리 완료 시 [고객] 처리완료 SMS 발송", MANAGER, kind="sms"),
        ]
    if consigned:
        steps.append(
            Step(
                "agit_cmnp",
                f"[담당자] 위탁콜: {AGIT_CMNP_BOARD} → {AGIT_CMNP_TEMPLATE} 작성 및 "
                f"기사(업체) 입금 요청 (입금지사: {_branch_account(rules)}, ★반드시 기사명으로 입금)",
                MANAGER,
                kind="post",
                waits_on="partner",
            )
        )
    kind = _kind_label(facts)
    why = "범칙금" if penalty else f"특이이슈({kind})"
    if chosen:
        # A lead sent a fine the rules give the agent to the manager (an override).
        why = f"담당자 판단 특이이슈({kind})"
    if facts.get("evidence_override"):
        why += " · 증빙 불일치 담당자 승인"
    if dispute:
        why += " · 주정차 위반 기사 미인정"
    extra = ["-담당자(관리자) 이관"]
    if mismatch:
        extra.append(f"-증빙 확인: 장소·시간 불일치 ({facts.get('evidence_reason') or '-'})")
    if dispute:
        extra.append("-기사 미인정: 블랙박스 확인 필요")
    return _base(
        codes.TRANSFER_TO_MANAGER,
        f"{why}: 담당자(관리자) 이관, 고객에게 시간소요 양해 SMS",
        cat,
        steps=tuple(steps),
        messages=tuple(messages),
        record=_record(
            "담당자 이관",
            facts,
            cat,
            [f"-처리내용: {why} → 담당자(관리자) 이관, 시간소요 양해 SMS"],
        ),
        escalation=EscalationSpec(
            board=AGIT_CS_BOARD,
            template=AGIT_TEMPLATES[cat],
            body=_agit_body(facts, cat, extra),
        ),
        operations_memo=f"{why} → 담당자(관리자) 이관",
        figures=_figures(facts, cat, penalty=penalty, parking_dispute=dispute, **figures),
    )


def propose_outcome(
    facts: dict, outcome: str, at: datetime, env: Env | None = None
) -> Proposal | None:
    """The proposal for ``outcome`` chosen by a lead (an override), built as :func:`propose`
    builds it; ``propose(facts)`` itself for the outcome the facts lead to.

    - ``rejected_duplicate`` needs the first case or payout the duplicate check found;
    - ``request_documents`` needs a document the facts say is missing (고지서 이미지 or 계좌);
    - ``rejected_evidence_mismatch``: the mismatch answer, with the evidence reason if any;
    - ``transfer_to_manager`` of a fine the agent would pay: the 특이이슈_과태료 transfer (the
      seed's only transfer board), with its 시간소요 양해 SMS;
    - ``payout``: ``None`` unless the facts lead there. The payout row (and the date the
      입금 예정 SMS states) is created by the fines decision (``fines.services.fine_decide``),
      never by a case override; an override to payout records the decision and the payout is
      made by hand in the fines ledger (승인 대기, four-eyes), so no SMS promises a deposit the
      ledger does not hold.

    Refused (PlaybookError naming the facts) when a needed fact is missing.
    """
    label = OUTCOMES.get(outcome, outcome)
    if outcome not in OUTCOMES:
        c.refuse_override(label, "이 플레이북의 처리 결과가 아닙니다.")
    if decide(facts) == outcome:
        return propose(facts, at, env)
    cat = category(facts)
    if outcome == codes.REJECTED_DUPLICATE:
        c.refuse_override(
            label,
            "중복 원건 케이스 또는 기존 지급 건이 없습니다 (콜ID 중복 체크 결과 확인).",
        )
    if outcome == codes.REQUEST_DOCUMENTS:
        if not missing_documents(facts):
            c.refuse_override(
                label,
                "고지서 이미지 첨부, 고객 계좌정보 기재: 보완 요청할 서류가 사실관계에 없습니다.",
            )
        return _propose_documents(facts, cat)
    if outcome == codes.REJECTED_EVIDENCE_MISMATCH:
        return _propose_mismatch(facts, cat)
    if outcome == codes.TRANSFER_TO_MANAGER:
        if cat in (codes.CAT_SPECIAL, codes.CAT_PENALTY):
            return _propose_transfer(facts, cat, at, env)
        return _propose_transfer(facts, codes.CAT_SPECIAL, at, env, chosen=True)
    return None  # payout against the rules: see the docstring


def propose(facts: dict, at: datetime, env: Env | None = None) -> Proposal:
    """The proposal for a fine, from validated facts (see the module docstring for the order)."""
    cat = category(facts)
    outcome = decide(facts)
    if outcome == codes.REJECTED_DUPLICATE:
        return _propose_duplicate(facts, cat)
    if outcome == codes.REQUEST_DOCUMENTS:
        return _propose_documents(facts, cat)
    if outcome == codes.REJECTED_EVIDENCE_MISMATCH:
        return _propose_mismatch(facts, cat)
    if outcome == codes.TRANSFER_TO_MANAGER:
        return _propose_transfer(facts, cat, at, env)
    return _propose_payout(facts, cat, at, env)
