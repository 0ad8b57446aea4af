"""The plan a decision writes, and how a case moves along it.

Deciding does not send anything. It writes the *plan*: the proposal's steps as the case's
checklist (``CaseStep``) and each of the proposal's messages as a *draft* in the outbox
(``OutboundMessage`` status ``planned``), linked to the step that sends it. A drafted message
goes out when the case reaches its step, i.e. when every earlier step of the plan is done or
marked not applicable:

- the agent presses "send" at the step (:func:`cases.services.steps.case_step_send`), or
- the step is automatic (``Step.auto``) and the last step before it was just settled
  (:func:`plan_advance`, called by every service that settles a step).

Delivery (or "CEMS로 직접 보냄") ticks the SMS step (:func:`step_settle_on_delivery`).

A new plan (re-decision after reopen, a fact revision's new proposal) replaces what is still
pending: pending steps become ``skipped``, drafts the new plan no longer holds are cancelled,
drafts it holds again are re-rendered for it, and what was done (or sent) stays the record
(:func:`case_plan_replace_pending`). One outbox key per case, template and audience
(``case:<pk>:<template>:<audience>``) makes a retried or replayed plan send nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from cases.exceptions import MessageNotQueued, ProposalFailed, RecipientMissing, StepNotReached
from cases.models import Case, CaseStep, StepKind, StepStatus
from cases.playbooks.base import ALL, Proposal, Step
from cases.services._common import audited_save, lock_case, moment

AUDIENCE_LABELS = {"customer": "고객", "driver": "기사"}

#: The step a plan gets when a proposal has messages but no SMS step to send them at.
FALLBACK_SMS_STEP = "send_sms"


def message_idempotency_key(case: Case, template: str, audience: str) -> str:
    """One message per case, template and audience, however often a plan is written again."""
    return f"case:{case.pk}:{template}:{audience}"


@dataclass
class Plan:
    """What a plan write produced: the new checklist rows and the drafted messages."""

    steps: list[CaseStep] = field(default_factory=list)
    messages: list = field(default_factory=list)
    replaced_steps: list[CaseStep] = field(default_factory=list)
    cancelled_messages: list = field(default_factory=list)


@dataclass(frozen=True)
class PendingPlan:
    """The part of a case's plan that is still to do (what a new plan would replace)."""

    steps: list[CaseStep]
    messages: list  # drafted (planned) messages, oldest first


# --- reading the plan -------------------------------------------------------------------------
def plan_pending(*, case: Case) -> PendingPlan:
    """The pending steps (in order) and the drafted messages of ``case`` (two queries)."""
    from templates_app.models import OutboundMessage

    steps = list(case.steps.filter(status=StepStatus.PENDING).order_by("order"))
    messages = list(
        case.outbound_messages.filter(status=OutboundMessage.Status.PLANNED)
        .select_related("template")
        .order_by("pk")
    )
    return PendingPlan(steps=steps, messages=messages)


def steps_before(step: CaseStep) -> list[CaseStep]:
    """The pending steps ordered before ``step``: until they are settled, ``step`` is not
    reached (its messages may not go out)."""
    return list(
        CaseStep.objects.filter(
            case_id=step.case_id, status=StepStatus.PENDING, order__lt=step.order
        ).order_by("order")
    )


def steps_label(steps) -> str:
    return ", ".join(f"{s.order}. {s.label}" for s in steps)


def require_reached(step: CaseStep) -> None:
    """Refuse (:class:`StepNotReached`, naming the step and what comes first) unless every
    step before ``step`` is done or not applicable."""
    blockers = steps_before(step)
    if blockers:
        raise StepNotReached(
            f"'{step.order}. {step.label}' 단계에 아직 도달하지 않았습니다. "
            f"먼저 완료해야 할 단계: {steps_label(blockers)}"
        )


def closing_blockers(case: Case) -> list[CaseStep]:
    """The steps that keep ``case`` from closing: pending, neither done nor not applicable."""
    return list(case.steps.filter(status=StepStatus.PENDING).order_by("order"))


# --- writing the plan -------------------------------------------------------------------------
def _plan_steps(proposal: Proposal) -> tuple[tuple[Step, ...], list[str]]:
    """The steps to write and, per message, the code of the step that sends it."""
    steps = tuple(proposal.steps)
    codes = {s.code for s in steps}
    sms = [s.code for s in steps if s.kind == StepKind.SMS]
    if proposal.messages and not sms and not all(m.step in codes for m in proposal.messages):
        names = ", ".join(m.template for m in proposal.messages)
        steps += (Step(FALLBACK_SMS_STEP, f"문자 발송 ({names})", ALL, kind=StepKind.SMS),)
        sms = [FALLBACK_SMS_STEP]
    targets = []
    for spec in proposal.messages:
        if spec.step and spec.step not in codes:
            raise ProposalFailed(
                f"문자 '{spec.template}'을(를) 보낼 단계 '{spec.step}'이(가) 제안에 없습니다."
            )
        targets.append(spec.step or sms[0])
    return steps, targets


def _recipients(case: Case, proposal: Proposal) -> list[str]:
    phones = []
    for spec in proposal.messages:
        phone = case.phone_for(spec.audience)
        if not phone:
            who = AUDIENCE_LABELS.get(spec.audience, spec.audience)
            raise RecipientMissing(
                f"{who} 전화번호가 없어 '{spec.template}' 문자를 보낼 수 없습니다. "
                f"{who} 전화번호를 입력한 뒤 다시 결정해 주세요."
            )
        phones.append(phone)
    return phones


def plan_check(case: Case, proposal: Proposal) -> None:
    """Every refusal a plan write can meet before it writes (phones, message steps)."""
    _recipients(case, proposal)
    _plan_steps(proposal)


def plan_write(case: Case, proposal: Proposal, *, actor, at, keep_done: bool = False) -> Plan:
    """Replace the pending part of ``case``'s plan with ``proposal``'s (inside the caller's
    transaction, the case row locked by the caller).

    ``keep_done``: a step of the new plan whose code is already done (or not applicable) on the
    case is not written again, unless a message still to send belongs to it (a fact revision:
    "decided steps already done stay done"). Without it (a re-decision after reopen) the whole
    new checklist is written and only the old pending steps are replaced.
    """
    from cases.models import ClockStop
    from cases.services.clocks import clock_start, clock_stop
    from templates_app.errors import MessageError
    from templates_app.models import OutboundMessage
    from templates_app.services import message_cancel_planned, message_queue

    phones = _recipients(case, proposal)
    steps, targets = _plan_steps(proposal)
    plan = Plan()

    for old in case.steps.filter(status=StepStatus.PENDING).order_by("order"):
        old.status = StepStatus.SKIPPED
        audited_save(old, actor, reason="새 계획으로 대체")
        clock_stop(step=old, actor=actor, at=at, reason=ClockStop.SKIPPED)
        plan.replaced_steps.append(old)

    keys = [message_idempotency_key(case, m.template, m.audience) for m in proposal.messages]
    delivered = set(
        OutboundMessage.objects.filter(
            idempotency_key__in=keys,
            status__in=[
                *OutboundMessage.DELIVERED,
                OutboundMessage.Status.QUEUED,
                OutboundMessage.Status.SENDING,
            ],
        ).values_list("idempotency_key", flat=True)
    )
    still_to_send = {code for code, key in zip(targets, keys, strict=True) if key not in delivered}
    settled = set()
    if keep_done:
        settled = set(
            case.steps.filter(status__in=(StepStatus.DONE, StepStatus.NOT_APPLICABLE)).values_list(
                "code", flat=True
            )
        )

    last = case.steps.order_by("-order").values_list("order", flat=True).first() or 0
    rows: dict[str, CaseStep] = {}
    for step in steps:
        if step.code in settled and step.code not in still_to_send:
            continue
        last += 1
        row = CaseStep(
            case=case,
            order=last,
            code=step.code,
            label=step.label,
            roles=sorted(step.roles),
            kind=step.kind,
            script=step.script,
            waits_on=step.waits_on or "",
            due_rule=step.due_rule or "",
            auto=bool(getattr(step, "auto", False)),
            created_at=at,
        )
        audited_save(row, actor)
        clock_start(step=row, actor=actor, at=at)  # steps that wait on someone get a due time
        rows.setdefault(step.code, row)
        plan.steps.append(row)

    for spec, phone, code, key in zip(proposal.messages, phones, targets, keys, strict=True):
        try:
            message = message_queue(
                template_name=spec.template,
                recipient=phone,
                context=dict(spec.context),
                idempotency_key=key,
                actor=actor,
                subject=case,
                audience=spec.audience,
                planned=True,
                step=rows.get(code),
            )
        except MessageError as exc:
            raise MessageNotQueued(f"'{spec.template}' 문자를 만들 수 없습니다: {exc}") from exc
        plan.messages.append(message)

    kept = [m.pk for m in plan.messages]
    for draft in case.outbound_messages.filter(status=OutboundMessage.Status.PLANNED).exclude(
        pk__in=kept
    ):
        if message_cancel_planned(
            message=draft, actor=actor, reason="새 계획에 없는 문자: 발송 취소"
        ):
            plan.cancelled_messages.append(draft)

    plan_advance(case=case, actor=actor, at=at)
    return plan


@transaction.atomic
def case_plan_replace_pending(*, case: Case, proposal: Proposal, actor, at=None) -> Plan:
    """A revised proposal replaces the pending part of a decided case's plan.

    For the fact-revision flow (issue 13.2): steps already done (or not applicable) stay done
    and are not written again; the new proposal's remaining steps replace the pending ones
    (those become ``skipped``); its messages replace the drafts (a draft it holds again is
    re-rendered, one it no longer holds is cancelled; a message already sent is never sent
    again: same outbox key). Call it after saving the case's new facts; it locks the case.
    Refuses (nothing written) with RecipientMissing / ProposalFailed / MessageNotQueued.
    Permissions are the caller's (the revision service asks its own action).
    """
    at = moment(at)
    locked = lock_case(case)
    return plan_write(locked, proposal, actor=actor, at=at, keep_done=True)


# --- moving along the plan --------------------------------------------------------------------
def plan_advance(*, case: Case, actor, at=None) -> list:
    """Release the drafts of the first pending step if it is automatic (every step before it is
    settled, by construction). Returns the released messages. Runs inside the caller's
    transaction; each release is handed to Celery on commit."""
    from templates_app.services import message_release

    first = (
        CaseStep.objects.filter(case_id=case.pk, status=StepStatus.PENDING)
        .order_by("order")
        .first()
    )
    if first is None or not first.auto:
        return []
    released = []
    for message in first.messages.order_by("pk"):
        if message_release(message=message, actor=actor):
            released.append(message)
    return released


def step_settle_on_delivery(*, message) -> CaseStep | None:
    """The outbox delivered ``message`` (gateway, or a person through CEMS): when every message
    of its step is delivered, the step is done, and the plan moves on (an automatic next step
    sends). Inside the caller's transaction; the step row is locked."""
    from cases.services.clocks import clock_stop
    from templates_app.models import OutboundMessage

    step = CaseStep.objects.select_for_update().filter(pk=message.step_id).first()
    if step is None or step.status != StepStatus.PENDING:
        return None
    done = (*OutboundMessage.DELIVERED, OutboundMessage.Status.CANCELLED)
    if step.messages.exclude(status__in=done).exists():
        return None
    by = message.hand_sent_by if message.hand_sent_by_id else message.queued_by
    at = message.sent_at or moment(None)
    step.status = StepStatus.DONE
    step.done_by = by
    step.done_at = at
    how = (
        "수동 발송 (CEMS)" if message.status == OutboundMessage.Status.SENT_BY_HAND else "발송 완료"
    )
    audited_save(step, by, reason=f"문자 {how}로 단계 완료")
    clock_stop(step=step, actor=by, at=at)
    case = Case(pk=step.case_id)
    plan_advance(case=case, actor=by, at=at)
    return step
