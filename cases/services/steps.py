"""The checklist: an agent (or lead) settles the plan's steps one by one: done, sent (an SMS
step), or not applicable with a reason. See :mod:`cases.services.plan` for the plan itself."""

from __future__ import annotations

from django.db import transaction

from cases.exceptions import (
    ActionNotAllowed,
    CaseError,
    FactsInvalid,
    InvalidTransition,
    StepNotFound,
)
from cases.models import Case, CaseStep, Status, StepStatus
from cases.services._common import audited_save, lock_case, moment, require
from cases.services.clocks import clock_stop
from cases.services.plan import plan_advance, require_reached
from kmcs_site.permissions import ROLE_LABELS, Role, user_roles


def _roles_label(roles) -> str:
    order = [Role.AGENT, Role.TEAM_LEAD, Role.DEPUTY_LEAD, Role.MANAGER]
    return ", ".join(str(ROLE_LABELS[r]) for r in order if r in roles)


@transaction.atomic
def case_step_complete(*, case: Case, step_code: str, actor, at=None) -> CaseStep:
    """Mark the pending step ``step_code`` done by ``actor``, who must hold one of its roles.

    Seed 001's "팀장, 부팀장" rows become steps an agent cannot complete
    (:class:`ActionNotAllowed`); a closed case's checklist is frozen.
    """
    at = moment(at)
    locked = lock_case(case)
    require(
        actor, "cases.casestep.change", locked, message="이 케이스의 단계를 처리할 권한이 없습니다."
    )
    if locked.status == Status.CLOSED:
        raise InvalidTransition("종결된 케이스의 단계는 처리할 수 없습니다.")
    step = (
        CaseStep.objects.filter(case=locked, code=step_code, status=StepStatus.PENDING)
        .order_by("order")
        .first()
    )
    if step is None:
        raise StepNotFound(f"처리할 단계가 없습니다: {step_code}")
    _check_step_roles(actor, step)
    unsent = _unsent(step)
    if unsent:
        # "Sending ticks the SMS step": ticking it by hand would let a drafted SMS never go out.
        raise InvalidTransition(
            f"'{step.label}' 단계는 문자를 보내면 완료됩니다 ({', '.join(unsent)}). "
            "'발송' 버튼이나 'CEMS로 직접 보냄'을 이용해 주세요."
        )
    step.status = StepStatus.DONE
    step.done_by = actor
    step.done_at = at
    audited_save(step, actor, reason="단계 완료")
    clock_stop(step=step, actor=actor, at=at)
    plan_advance(case=locked, actor=actor, at=at)
    return step


def _check_step_roles(actor, step: CaseStep) -> None:
    if not actor.is_superuser and not (user_roles(actor) & step.roles_set):
        raise ActionNotAllowed(
            f"'{step.label}' 단계는 {_roles_label(step.roles_set)}만 할 수 있습니다."
        )


def _unsent(step: CaseStep) -> list[str]:
    """Template names of the step's messages that are neither delivered nor cancelled."""
    from templates_app.models import OutboundMessage

    settled = (*OutboundMessage.DELIVERED, OutboundMessage.Status.CANCELLED)
    return list(
        step.messages.exclude(status__in=settled)
        .order_by("pk")
        .values_list("template__name", flat=True)
    )


def _pending_step(case: Case, step_code: str) -> CaseStep:
    step = (
        CaseStep.objects.filter(case=case, code=step_code, status=StepStatus.PENDING)
        .order_by("order")
        .first()
    )
    if step is None:
        settled = CaseStep.objects.filter(case=case, code=step_code).order_by("-order").first()
        if settled is not None:
            raise StepNotFound(
                f"'{settled.label}' 단계는 이미 처리되었습니다 ({settled.get_status_display()})."
            )
        raise StepNotFound(f"처리할 단계가 없습니다: {step_code}")
    return step


def _check_workable(case: Case) -> None:
    if case.status == Status.CLOSED:
        raise InvalidTransition("종결된 케이스의 단계는 처리할 수 없습니다.")
    if case.status != Status.DECIDED:
        raise InvalidTransition("처리 결정 후에 단계를 진행할 수 있습니다.")


@transaction.atomic
def case_step_send(*, case: Case, step_code: str, actor, at=None) -> tuple[CaseStep, int]:
    """Send the drafted messages of the SMS step ``step_code``: the agent reached it.

    Refused, with nothing sent, when an earlier step is still pending
    (:class:`~cases.exceptions.StepNotReached`, naming the step and what comes first), when
    the step has no message, for a closed or undecided case, or for a role the step is not
    for. Idempotent: a message already released (queued, sent, sent by hand) is not sent again,
    so a retry or a double click sends nothing twice. Returns (step, messages released now).
    The step is ticked when the messages are delivered (:func:`plan.step_settle_on_delivery`).
    """
    from templates_app.services import message_release

    at = moment(at)
    locked = lock_case(case)
    require(
        actor, "cases.casestep.send", locked, message="이 케이스의 문자를 보낼 권한이 없습니다."
    )
    _check_workable(locked)
    step = _pending_step(locked, step_code)
    _check_step_roles(actor, step)
    messages = list(step.messages.order_by("pk"))
    if not messages:
        raise CaseError(f"'{step.label}' 단계에는 보낼 문자가 없습니다.")
    require_reached(step)
    released = sum(1 for m in messages if message_release(message=m, actor=actor))
    return step, released


@transaction.atomic
def case_step_mark_na(*, case: Case, step_code: str, reason: str, actor, at=None) -> CaseStep:
    """Mark a pending step not applicable, with the reason (audited on the step's history).

    It then counts as settled for closing and for reaching the steps after it; its drafted
    messages are cancelled (never sent). A reason is required (FactsInvalid, Korean); a step
    the actor's role may not do, a closed or undecided case are refused; nothing changes then.
    """
    from cases.models import ClockStop
    from templates_app.services import message_cancel_planned

    at = moment(at)
    locked = lock_case(case)
    require(
        actor,
        "cases.casestep.mark_na",
        locked,
        message="이 케이스의 단계를 '해당 없음'으로 처리할 권한이 없습니다.",
    )
    reason = (reason or "").strip()
    if not reason:
        raise FactsInvalid({"reason": ["'해당 없음' 사유를 입력해 주세요."]})
    _check_workable(locked)
    step = _pending_step(locked, step_code)
    _check_step_roles(actor, step)
    step.status = StepStatus.NOT_APPLICABLE
    step.na_reason = reason
    step.done_by = actor
    step.done_at = at
    audited_save(step, actor, reason=f"해당 없음: {reason}"[:100])
    clock_stop(step=step, actor=actor, at=at, reason=ClockStop.NOT_APPLICABLE)
    for message in step.messages.order_by("pk"):
        message_cancel_planned(message=message, actor=actor, reason=f"단계 '해당 없음' ({reason})")
    plan_advance(case=locked, actor=actor, at=at)
    return step


@transaction.atomic
def case_message_sent_by_hand(*, case: Case, message_id: int, reason: str, actor):
    """ "CEMS로 직접 보냄": one of the case's messages went out through CEMS by hand.

    A drafted message counts only once its step is reached (the same rule as "send"); the
    outbox records it (``message_mark_sent_by_hand``) and its delivery ticks the step.
    """
    from templates_app.errors import MessageError
    from templates_app.models import OutboundMessage
    from templates_app.services import message_mark_sent_by_hand

    locked = lock_case(case)
    require(actor, "cases.case.change", locked, message="이 케이스를 수정할 권한이 없습니다.")
    message = (
        locked.outbound_messages.select_related("template", "step").filter(pk=message_id).first()
    )
    if message is None:
        raise CaseError("이 케이스의 문자가 아닙니다.")
    if message.status == OutboundMessage.Status.CANCELLED:
        raise CaseError(f"'{message.template.name}' 문자는 계획 변경으로 발송이 취소되었습니다.")
    if message.step_id is not None and message.step.status == StepStatus.PENDING:
        require_reached(message.step)
    try:
        return message_mark_sent_by_hand(message=message, reason=reason, actor=actor)
    except MessageError as exc:
        raise CaseError(str(exc)) from exc


def on_message_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    """post_save of OutboundMessage (connected in CasesConfig.ready): a delivered message of a
    plan step may settle that step. The outbox stays unaware of cases."""
    if raw or instance.step_id is None or not instance.is_delivered:
        return
    from cases.services.plan import step_settle_on_delivery

    step_settle_on_delivery(message=instance)


def step_complete_if_pending(*, case: Case, step_code: str, actor, at) -> CaseStep | None:
    """Tick ``step_code`` when a service has just done exactly that step (answer saved, Agit
    link entered), if it is pending and ``actor`` may do it; otherwise leave the list alone.
    Runs inside the caller's transaction.
    """
    step = (
        CaseStep.objects.filter(case=case, code=step_code, status=StepStatus.PENDING)
        .order_by("order")
        .first()
    )
    if step is None or not (actor.is_superuser or user_roles(actor) & step.roles_set):
        return None
    step.status = StepStatus.DONE
    step.done_by = actor
    step.done_at = at
    audited_save(step, actor, reason="단계 완료 (자동)")
    clock_stop(step=step, actor=actor, at=at)
    plan_advance(case=case, actor=actor, at=at)
    return step
