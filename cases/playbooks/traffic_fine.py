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

from cases.consultation_types import TRAFFIC_FINE
from fines import codes
from fines.schedule import PayoutPolicy, scheduled_payout_at

from . import _common as c
from .base import (
    ALL,
    MANAGER,
    Env,
    EscalationSpec,
    MessageSpec,
    Proposal,
    Step,
)
from .center import center_rules
from .traffic_fine_facts import (  # noqa: F401
    FACTS,
    Facts,
)
from .traffic_fine_rules import (  # noqa: F401
    category,
    decide,
    is_parking_dispute,
    is_place_time_mismatch,
    missing_documents,
    violation_kind,
)
from .traffic_fine_scripts import (  # noqa: F401
    ACCOUNT_FIELDS,
    AGIT_CASH_BOARD,
    AGIT_CASH_TEMPLATE,
    AGIT_CMNP_BOARD,
    AGIT_CMNP_TEMPLATE,
    AGIT_CS_BOARD,
    AGIT_TEMPLATES,
    CODE,
    DASHCAM_SCRIPT,
    DOCUMENTS_SCRIPT,
    DRIVER_NOTICE_NO,
    DUPLICATE_ANSWER,
    MISMATCH_ANSWER,
    OUTCOMES,
    TITLE,
    TPL_DEPOSIT_SCHEDULED,
    TPL_DONE,
    TPL_DONE_GENERAL,
    TPL_PENALTY_DONE,
    TPL_POINTS_DEDUCTION,
    TPL_TRANSFER_DELAY,
    VERSION,
)
from .traffic_fine_steps import (  # noqa: F401
    _agit_body,
    _agit_step,
    _amount,
    _branch_account,
    _cmnp_steps,
    _dashcam_days,
    _deposit_sms_step,
    _dispute_steps,
    _history_step,
    _intake_steps,
    _kind_label,
    _ledger_check,
    _payout_step,
    _record,
    _summary_lines,
    _violation_line,
)

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
