"""The manager's part (담당자(관리자) 처리): evidence mismatch review, 범칙금 consent / driver
call / evidence MMS / closing SMS, and the consigned-call deposit request."""

from __future__ import annotations

from django.db import transaction

from cases.exceptions import FactsInvalid
from cases.playbooks import traffic_fine
from fines import codes
from fines.models import FineNotice

from ._common import FineError, audited_save, now_or, queue_message, received_on, require
from .intake import propose_for, store_case_facts


def _locked(notice: FineNotice) -> FineNotice:
    return (
        FineNotice.objects.select_for_update(of=("self",)).select_related("case").get(pk=notice.pk)
    )


def _manage(actor, message: str = "담당자(관리자)만 할 수 있는 처리입니다.") -> None:
    require(actor, "fines.finenotice.manage", message=message)


@transaction.atomic
def notice_evidence_review(
    *, notice: FineNotice, actor, accept_mismatch: bool, reason: str, at=None
):
    """The manager's check of a place/time mismatch (seed 004 ② [담당자(관리자) 처리]).

    ``accept_mismatch``: the ride is right after all; the fine stays a 장소·시간 불일치
    special-issue fine and the manager pays it (``evidence_override``). Otherwise the manager
    confirms it is not a fine of this ride: ``rejected_evidence_mismatch`` (``evidence_rejected``)
    and the customer gets the mismatch answer.

    The agent's intake already decided the transfer (Agit post, 시간소요 양해 SMS): the finding
    is a fact revision of that decided case, which re-plans what is left to do (steps done stay
    done, the SMS already sent is not sent again). A case still undecided (taken in without
    deciding) is decided with the finding. Returns the proposal the case now follows.
    """
    from .decisions import fine_decide

    require(
        actor,
        "fines.finenotice.override_evidence",
        message="증빙 불일치 승인·반려는 담당자(관리자)만 할 수 있습니다.",
    )
    at = now_or(at)
    reason = (reason or "").strip()
    if not reason:
        raise FactsInvalid({"reason": ["사유를 입력하세요."]})
    notice = _locked(notice)
    if notice.evidence_result != codes.EVIDENCE_FAIL:
        raise FineError("증빙 불일치 건이 아닙니다.")
    case = notice.case
    facts = dict(case.facts)
    if facts.get("evidence_override") or facts.get("evidence_rejected"):
        raise FineError("이미 담당자(관리자)가 증빙 불일치를 검토한 건입니다.")
    word = "승인" if accept_mismatch else "확정 (반려)"
    if accept_mismatch:
        notice.evidence_override_by = actor
        notice.evidence_override_reason = reason
        notice.evidence_override_at = at
    change = {"evidence_override": True} if accept_mismatch else {"evidence_rejected": True}
    facts.update(change)
    notice.category = traffic_fine.category(facts)
    if case.decided_at is None:
        store_case_facts(
            case=case, facts=facts, actor=actor, reason=f"증빙 불일치 {word}: {reason}"
        )
        proposal = propose_for(facts, at)
        audited_save(
            notice, actor, reason=f"증빙 불일치 {word}: {reason}", validate_constraints=False
        )
        fine_decide(notice=notice, proposal=proposal, actor=actor, at=at)
        return proposal
    if case.outcome != codes.TRANSFER_TO_MANAGER:
        raise FineError("담당자(관리자)에게 이관된 건이 아닙니다.")
    from cases.playbooks.env import DatabaseEnv
    from cases.services.revisions import case_revise_facts

    revised = case_revise_facts(
        case=case,
        actor=actor,
        facts=change,
        note=f"증빙 불일치 {word}: {reason}",
        at=at,
        env=DatabaseEnv(),
    )
    proposal = revised.proposal
    notice.outcome = proposal.outcome
    audited_save(notice, actor, reason=f"증빙 불일치 {word}: {reason}", validate_constraints=False)
    # The mismatch answer is the plan's step "answer_mismatch" (its script): it is saved on the
    # case after the 시간소요 양해 SMS went out (seed 002's "SMS 선발송 후 답변내용 저장").
    return proposal


def _require_penalty(notice: FineNotice) -> None:
    if notice.category != codes.CAT_PENALTY:
        raise FineError("범칙금 건이 아닙니다.")


def _contact(notice, actor, target: str, note: str, at) -> None:
    from cases.services.escalations import contact_attempt_log

    contact_attempt_log(
        case=notice.case, actor=actor, target=target, result="answered", note=note, at=at
    )


@transaction.atomic
def penalty_consent_record(*, notice: FineNotice, actor, given: bool, at=None) -> FineNotice:
    """[고객 OB] 차량 번호 전달 동의 (개인정보수집동의 필수). Nothing reaches the driver without it."""
    _manage(actor)
    at = now_or(at)
    notice = _locked(notice)
    _require_penalty(notice)
    notice.consent_given = given
    notice.consent_recorded_at = at
    notice.consent_recorded_by = actor
    word = "동의" if given else "거부"
    _contact(notice, actor, "customer", f"차량번호 기사 전달 (개인정보수집) {word}", at)
    audited_save(notice, actor, reason=f"차량번호 전달 {word}", validate_constraints=False)
    return notice


def _require_consent(notice: FineNotice) -> None:
    if notice.consent_given is not True:
        raise FineError(
            "고객의 차량번호 전달 동의(개인정보수집동의)가 없어 기사에게 전달할 수 없습니다."
        )


@transaction.atomic
def penalty_driver_notify(*, notice: FineNotice, actor, at=None) -> FineNotice:
    """[기사 OB] 경찰서 내방 안내 및 고객 차량 번호 전달 (only after the customer's consent)."""
    _manage(actor)
    at = now_or(at)
    notice = _locked(notice)
    _require_penalty(notice)
    _require_consent(notice)
    _contact(notice, actor, "driver", "경찰서 내방 안내 및 고객 차량번호 전달", at)
    notice.driver_police_call_at = at
    audited_save(notice, actor, reason="기사 OB: 경찰서 내방 안내", validate_constraints=False)
    return notice


@transaction.atomic
def penalty_evidence_mms(*, notice: FineNotice, actor, at=None) -> FineNotice:
    """증빙자료 이미지 첨부 MMS 발송 (recorded; the image shows the car number: consent first)."""
    _manage(actor)
    at = now_or(at)
    notice = _locked(notice)
    _require_penalty(notice)
    _require_consent(notice)
    if notice.driver_police_call_at is None:
        raise FineError("기사 OB(경찰서 내방 안내) 후에 증빙자료 MMS를 보내 주세요.")
    notice.evidence_mms_at = at
    audited_save(notice, actor, reason="증빙자료 MMS 발송", validate_constraints=False)
    return notice


@transaction.atomic
def penalty_complete(*, notice: FineNotice, actor, at=None) -> FineNotice:
    """처리완료 시 [고객] SMS 발송: after consent, the driver call and the evidence MMS."""
    _manage(actor)
    at = now_or(at)
    notice = _locked(notice)
    _require_penalty(notice)
    _require_consent(notice)
    if notice.driver_police_call_at is None or notice.evidence_mms_at is None:
        raise FineError("기사 OB와 증빙자료 MMS 발송을 먼저 기록해 주세요.")
    if notice.completed_at is not None:
        return notice
    queue_message(
        case=notice.case,
        template=traffic_fine.TPL_PENALTY_DONE,
        audience="customer",
        context=traffic_fine.received_context(received_on=received_on(notice.case)),
        actor=actor,
    )
    notice.completed_at = at
    audited_save(notice, actor, reason="범칙금 처리완료", validate_constraints=False)
    return notice


@transaction.atomic
def partner_claim_record(*, notice: FineNotice, actor, at=None) -> FineNotice:
    """위탁콜: the manager asked the driver (or company) to deposit into the branch account
    (KMCS_FINE_BRANCH_ACCOUNT, in the driver's name)."""
    _manage(actor)
    at = now_or(at)
    notice = _locked(notice)
    if notice.call_type != codes.CONSIGNED:
        raise FineError("위탁콜 과태료가 아닙니다.")
    notice.partner_claim_at = at
    audited_save(notice, actor, reason="위탁 기사·업체 입금 요청", validate_constraints=False)
    return notice


@transaction.atomic
def notice_evidence_recheck(*, notice: FineNotice, actor, at=None) -> FineNotice:
    """Run the evidence check again (the ride was imported after the fine came in). Updates
    the stored result; a decided case keeps its decision (a manager reviews a changed result)."""
    from fines.models import Ride

    from .intake import evidence_for

    require(actor, "fines.finenotice.add", message="증빙 확인을 다시 할 권한이 없습니다.")
    at = now_or(at)
    notice = _locked(notice)
    ride = Ride.objects.filter(call_id=notice.call_id).first()
    result = evidence_for(
        {
            "violation_at": notice.violation_at,
            "violation_lat": notice.violation_lat,
            "violation_lng": notice.violation_lng,
            "violation_kind": notice.violation_kind,
        },
        ride,
    )
    notice.ride = ride
    notice.evidence_result = result.result
    notice.evidence_reason = result.reason[:200]
    notice.evidence_details = result.details
    notice.evidence_checked_at = at
    audited_save(notice, actor, reason="증빙 재확인", validate_constraints=False)
    return notice
