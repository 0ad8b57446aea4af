"""Seed 004 (과태료 처리 프로세스): the record texts and the steps each branch gives.

Split from ``cases.playbooks.traffic_fine`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fines import codes

from . import _common as c
from .base import (
    ALL,
    MANAGER,
    ConsultationRecord,
    Step,
)
from .center import CenterRules
from .traffic_fine_rules import (
    violation_kind,
)
from .traffic_fine_scripts import (
    AGIT_CASH_BOARD,
    AGIT_CASH_TEMPLATE,
    AGIT_CMNP_BOARD,
    AGIT_CMNP_TEMPLATE,
    AGIT_CS_BOARD,
    AGIT_TEMPLATES,
    DASHCAM_SCRIPT,
    DRIVER_NOTICE_NO,
)

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
