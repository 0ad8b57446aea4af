"""Status moves, assignment, the consultation record and the answer (SMS first)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from guardian.shortcuts import assign_perm, remove_perm

from cases.access import WORK_CASE_PERM, forget_work_permission
from cases.exceptions import (
    AgitPostRequired,
    DuplicateOpenCase,
    FactsInvalid,
    InvalidAssignee,
    InvalidTransition,
    RecordIncomplete,
    SmsNotSentYet,
    StepsPending,
)
from cases.models import Case, ConsultationType, ContactAttempt, EscalationPost, Status, WaitingOn
from cases.models.case import phone_last4
from cases.selectors import case_messages, case_open_duplicate
from cases.services._common import audited_save, lock_case, mirror, moment, require
from cases.workflow import check_transition
from kmcs_site.permissions import ALL_AGENTS, user_can, user_roles


# --- assignment ------------------------------------------------------------------------------
def _assign(case: Case, assignee, *, actor, at) -> None:
    """Move the guardian object permission ``cases.work_case`` with the assignee (no save).

    The permission is what the agent queue and the object rules read; ``Case.assignee`` is the
    same fact as a column, for lists and filters. Both change here and only here.
    """
    previous = case.assignee if case.assignee_id else None
    if previous is not None and (assignee is None or previous.pk != assignee.pk):
        remove_perm(WORK_CASE_PERM, previous, case)
    if assignee is not None:
        assign_perm(WORK_CASE_PERM, assignee, case)
    case.assignee = assignee
    forget_work_permission(case)


def _check_assignee(assignee) -> None:
    if assignee is None:
        return
    if not assignee.is_active or not (assignee.is_superuser or user_roles(assignee) & ALL_AGENTS):
        raise InvalidAssignee(f"{assignee}: 상담사·팀장·부팀장·담당자에게만 배정할 수 있습니다.")


@transaction.atomic
def case_assign(*, case: Case, assignee, actor, at=None) -> Case:
    """Assign ``case`` to ``assignee`` (None: unassign) and move the object permission.

    Leads and managers assign anyone's case (``cases.case.assign``); an agent may only take an
    unassigned case of a service they work (``cases.case.take``).
    """
    at = moment(at)
    locked = lock_case(case)
    taking = (
        assignee is not None
        and assignee.pk == actor.pk
        and locked.assignee_id is None
        and user_can(actor, "cases.case.take", locked)
    )
    if not taking:
        require(actor, "cases.case.assign", locked, message="케이스를 배정할 권한이 없습니다.")
    _check_assignee(assignee)
    if (assignee.pk if assignee else None) == locked.assignee_id:
        return mirror(case, locked)
    _assign(locked, assignee, actor=actor, at=at)
    reason = f"배정: {assignee}" if assignee else "배정 해제"
    audited_save(locked, actor, reason=reason)
    from notifications.notify import notify_case_assigned

    notify_case_assigned(case=locked, actor=actor, at=at)
    return mirror(case, locked)


def case_take(*, case: Case, actor, at=None) -> Case:
    """An agent takes an unassigned case of their service (= case_assign to themselves)."""
    return case_assign(case=case, assignee=actor, actor=actor, at=at)


# --- status moves ------------------------------------------------------------------------------
def posts_missing(case: Case) -> list[str]:
    """What seed 002's [아지트 작성 기준] still asks for before the case may close (Korean).

    1) 특이사항이 있거나 OB 부재 등 히스토리 공유가 필요한 경우 아지트 작성 필수: every such
       contact attempt needs its post, and the post must be written (link entered);
    2) every post the playbook prescribed must be written too.
    """
    missing = []
    covered: set[int] = set()
    for attempt in ContactAttempt.objects.filter(case=case).select_related("escalation_post"):
        if not attempt.needs_post:
            continue
        post = attempt.escalation_post
        if post is None or not post.is_posted:
            missing.append(f"{attempt}: 아지트 작성 필요")
        if post is not None:
            covered.add(post.pk)
    for post in EscalationPost.objects.filter(case=case, link_url="").exclude(pk__in=covered):
        missing.append(f"아지트 글 '{post.board}': 링크 미입력")
    return missing


def _check_closable(case: Case, *, steps: bool = True) -> None:
    """What closing needs: a consultation type, every Agit post the case owes and, unless a
    lead forces it (:func:`case_force_close`), every step done or marked not applicable."""
    if case.consultation_type_id is None:
        raise RecordIncomplete("상담유형을 지정해야 종결할 수 있습니다.")
    missing = posts_missing(case)
    if missing:
        raise AgitPostRequired(
            "아지트 작성 기준에 따라 아지트 작성 후 링크를 입력해야 종결할 수 있습니다: "
            + "; ".join(missing)
        )
    if steps:
        from cases.services.plan import closing_blockers, steps_label

        blockers = closing_blockers(case)
        if blockers:
            raise StepsPending(
                "처리 단계를 모두 완료하거나 '해당 없음'(사유)으로 처리해야 종결할 수 있습니다. "
                f"남은 단계: {steps_label(blockers)}"
            )


@transaction.atomic
def case_transition(
    *, case: Case, transition: str, actor, waiting_on: str | None = None, note: str = "", at=None
) -> Case:
    """Apply ``transition`` (start / wait / resume / close / reopen; see cases.workflow).

    ``wait`` needs ``waiting_on`` (customer / driver / partner / cpo / team / payout_batch).
    ``close`` needs a consultation type and every Agit post the case owes; ``reopen`` refuses
    when another open case now holds the same business key. Refusals change nothing.
    """
    at = moment(at)
    locked = lock_case(case)
    move = check_transition(locked.status, transition, service="case_transition")
    require(actor, move.action, locked, message=f"'{move.label}' 권한이 없습니다.")
    if move.name == "wait":
        if waiting_on not in WaitingOn.values:
            raise FactsInvalid({"waiting_on": ["무엇을 기다리는지 (대기 대상) 선택해 주세요."]})
        locked.waiting_on = waiting_on
    else:
        locked.waiting_on = ""
    if move.name == "start":
        locked.first_response_at = locked.first_response_at or at
    elif move.name == "close":
        _check_closable(locked)
        locked.closed_at = at
    elif move.name == "reopen":
        other = case_open_duplicate(playbook=locked.playbook, business_key=locked.business_key)
        if other is not None and other.pk != locked.pk:
            raise DuplicateOpenCase(other)
        locked.closed_at = None
    locked.status = move.target
    reason = str(move.label) + (f": {note}" if note else "")
    try:
        with transaction.atomic():
            audited_save(locked, actor, reason=reason, validate_constraints=False)
    except IntegrityError as exc:  # another open case took the business key meanwhile
        other = case_open_duplicate(playbook=locked.playbook, business_key=locked.business_key)
        raise DuplicateOpenCase(other) from exc
    if move.name == "close":  # a closed case makes no more promises: its step clocks stop
        from cases.models import ClockStop
        from cases.services.clocks import clocks_stop_all

        clocks_stop_all(case=locked, actor=actor, at=at, reason=ClockStop.CASE_CLOSED)
    return mirror(case, locked)


@transaction.atomic
def case_force_close(*, case: Case, reason: str, actor, at=None) -> Case:
    """A lead (team lead, deputy, manager) closes a decided case whose checklist is not finished.

    The reason is required and recorded in the case's history with the steps left open
    ("강제 종결: <reason> (미완료 단계: ...)"); the record rules (consultation type, Agit posts)
    still apply. The open steps stay as they were (a reopen finds them), their clocks stop and
    the closed case sends nothing (its drafts stay unsent). Refusals change nothing.
    """
    at = moment(at)
    locked = lock_case(case)
    require(
        actor,
        "cases.case.force_close",
        locked,
        message="강제 종결은 팀장·부팀장·담당자만 할 수 있습니다.",
    )
    reason = (reason or "").strip()
    if not reason:
        raise FactsInvalid({"reason": ["강제 종결 사유를 입력해 주세요."]})
    move = check_transition(locked.status, "close", service="case_transition")
    _check_closable(locked, steps=False)
    from cases.services.plan import closing_blockers, steps_label

    open_steps = closing_blockers(locked)
    locked.status = move.target
    locked.waiting_on = ""
    locked.closed_at = at
    note = f"강제 종결: {reason}"
    if open_steps:
        note += f" (미완료 단계: {steps_label(open_steps)})"
    audited_save(locked, actor, reason=note[:100], validate_constraints=False)
    from cases.models import ClockStop
    from cases.services.clocks import clocks_stop_all

    clocks_stop_all(case=locked, actor=actor, at=at, reason=ClockStop.CASE_CLOSED)
    return mirror(case, locked)


# --- record, memos, answer -----------------------------------------------------------------
def _refuse_when_closed(case: Case) -> None:
    if case.status == Status.CLOSED:
        raise InvalidTransition("종결된 케이스는 수정할 수 없습니다. 재오픈 후 수정해 주세요.")


@transaction.atomic
def case_record_update(
    *,
    case: Case,
    actor,
    consultation_type: ConsultationType | None = None,
    record_title: str | None = None,
    record_inquiry: str | None = None,
    record_notes: str | None = None,
    operations_memo: str | None = None,
    billing_memo: str | None = None,
    customer_phone: str | None = None,
    driver_phone: str | None = None,
    driver_id: str | None = None,
    notes_addition: str = "",
    memo_addition: str = "",
) -> Case:
    """Edit the consultation record, memos and contact details (None = leave as is).

    Phones are validated as Korean mobiles (they receive SMS). Closed cases are read-only.
    ``notes_addition`` / ``memo_addition`` append a paragraph to 처리내용 / 운영메모 under the
    case lock: the workspace adds to them rather than rewriting them, because they may hold
    phone numbers its page shows masked (and two agents appending at once both keep their text).
    """
    locked = lock_case(case)
    require(actor, "cases.case.change", locked, message="이 케이스를 수정할 권한이 없습니다.")
    _refuse_when_closed(locked)
    errors: dict[str, list[str]] = {}
    if consultation_type is not None:
        if not (consultation_type.is_leaf and consultation_type.is_active):
            errors["consultation_type"] = ["사용 중인 최하위 상담유형을 선택해 주세요."]
        locked.consultation_type = consultation_type
    texts = {
        "record_title": record_title,
        "record_inquiry": record_inquiry,
        "record_notes": record_notes,
        "operations_memo": operations_memo,
        "billing_memo": billing_memo,
        "driver_id": driver_id,
    }
    for name, value in texts.items():
        if value is not None:
            setattr(locked, name, value.strip())
    for name, addition in (("record_notes", notes_addition), ("operations_memo", memo_addition)):
        if addition and addition.strip():
            current = getattr(locked, name).rstrip()
            setattr(locked, name, f"{current}\n{addition.strip()}" if current else addition.strip())
    for name, value in (("customer_phone", customer_phone), ("driver_phone", driver_phone)):
        if value is None:
            continue
        if value == "":
            setattr(locked, name, "")
            continue
        from templates_app.phones import InvalidPhoneNumber, validate_korean_mobile

        try:
            setattr(locked, name, validate_korean_mobile(value))
        except InvalidPhoneNumber as exc:
            errors[name] = [str(exc)]
    if errors:
        raise FactsInvalid(errors)
    locked.customer_phone_last4 = phone_last4(locked.customer_phone)
    audited_save(locked, actor, reason="상담이력·메모 수정")
    return mirror(case, locked)


@transaction.atomic
def case_answer_save(*, case: Case, text: str, actor, at=None) -> Case:
    """Save the answer shown to the customer/driver: only after the SMS went out.

    Seed 002: "SMS 선발송 후 답변내용 저장". The case must be decided (its messages are drafted
    then and sent at their step) and every message of its plan delivered, or marked sent by
    hand ("CEMS로 직접 보냄"), cancelled ones aside;
    otherwise :class:`SmsNotSentYet` and nothing is saved. A decision that prescribes no
    message has nothing to send first.
    """
    at = moment(at)
    locked = lock_case(case)
    require(actor, "cases.case.change", locked, message="이 케이스를 수정할 권한이 없습니다.")
    _refuse_when_closed(locked)
    if not (text or "").strip():
        raise FactsInvalid({"answer_text": ["답변내용을 입력해 주세요."]})
    if locked.status != Status.DECIDED:
        raise SmsNotSentYet(
            "처리 결정과 SMS 발송이 먼저입니다. 결정 후 SMS 발송을 확인하고 답변내용을 저장해 주세요."
        )
    from templates_app.errors import SmsNotSentYet as OutboxNotSent
    from templates_app.services import ensure_messages_delivered

    try:
        from templates_app.models import OutboundMessage

        # Every message of the plan except those a new plan or an N/A step cancelled.
        messages = case_messages(case=locked).exclude(status=OutboundMessage.Status.CANCELLED)
        ensure_messages_delivered(list(messages.values_list("pk", flat=True)))
    except OutboxNotSent as exc:
        raise SmsNotSentYet(str(exc)) from exc
    locked.answer_text = text.strip()
    locked.answer_saved_at = at
    locked.first_response_at = locked.first_response_at or at
    audited_save(locked, actor, reason="답변내용 저장")
    from cases.services.steps import step_complete_if_pending

    step_complete_if_pending(case=locked, step_code="save_answer", actor=actor, at=at)
    return mirror(case, locked)
