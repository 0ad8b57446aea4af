"""Propose and decide: a playbook's proposal becomes the case's outcome, records, memos, Agit
post and plan (steps, and messages drafted at the step that sends them), in one transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from django.db import transaction
from rest_framework.exceptions import ValidationError as DrfValidationError

from cases.exceptions import (
    ActionNotAllowed,
    FactsInvalid,
    MessageNotQueued,
    NeedsReview,
    OverrideReasonRequired,
    ProposalFailed,
    UnknownOutcome,
)
from cases.models import Case, ConsultationType, EscalationPost, PostReason
from cases.playbooks.base import ALL, LEADS, ConsultationRecord, PlaybookError, Proposal, Step
from cases.proposals import proposal_snapshot
from cases.services._common import (
    audited_save,
    flatten_errors,
    lock_case,
    mirror,
    moment,
    require,
)
from cases.services.intake import playbook_module
from cases.services.plan import message_idempotency_key, plan_check, plan_write
from cases.workflow import check_transition
from kmcs_site.permissions import ALL_AGENTS, user_roles

#: The outcome a playbook gives when the seed does not decide: a person must choose.
NEEDS_REVIEW = "needs_review"

__all__ = ["case_decide", "case_propose", "declared_outcomes", "message_idempotency_key"]


def case_propose(*, case: Case, at=None, env=None) -> Proposal:
    """What the case's playbook proposes for its stored facts, at ``at`` (default: now).

    Pure apart from ``env`` (default :class:`~cases.playbooks.env.DatabaseEnv`: campaigns and
    routes from the database). Raises FactsInvalid / ProposalFailed with Korean messages.
    """
    from cases.playbooks import evaluate
    from cases.playbooks.env import DatabaseEnv

    try:
        return evaluate(case.playbook, case.facts, moment(at), env or DatabaseEnv())
    except DrfValidationError as exc:
        raise FactsInvalid(flatten_errors(exc.detail)) from exc
    except PlaybookError as exc:
        raise ProposalFailed(str(exc)) from exc


def declared_outcomes(module) -> frozenset[str]:
    """The outcome codes a playbook module declares in ``OUTCOMES`` (a mapping code -> Korean
    label, or a collection of codes); empty when it declares none (then no override is taken)."""
    declared = getattr(module, "OUTCOMES", None)
    if not declared:
        return frozenset()
    codes = declared.keys() if isinstance(declared, Mapping) else declared
    return frozenset(str(code) for code in codes)


def _outcome_label(module, code: str) -> str:
    declared = getattr(module, "OUTCOMES", None)
    if isinstance(declared, Mapping):
        return str(declared.get(code, code))
    return code


def _check_override_outcome(module, outcome: str) -> None:
    """An override picks one of the playbook's declared outcomes (never ``needs_review``, never
    a free text such as "승인"): anything else is refused, naming what may be chosen."""
    allowed = [c for c in (getattr(module, "OUTCOMES", None) or ()) if c != NEEDS_REVIEW]
    if outcome in allowed:
        return
    names = ", ".join(_outcome_label(module, c) for c in allowed)
    raise UnknownOutcome(
        f"'{outcome}'은(는) 이 플레이북의 처리 결과가 아닙니다. "
        + (
            f"다음 중에서 고르세요: {names}."
            if names
            else "이 플레이북은 다른 결과로 결정할 수 없습니다."
        )
    )


def _override_proposal(case: Case, proposed: Proposal, outcome: str, reason: str, at, env):
    """The proposal for an outcome a lead chose instead of the playbook's.

    A playbook that can spell out its outcomes exports ``propose_outcome(facts, outcome, at,
    env)``; then the chosen outcome brings its own steps, texts, memos, record and messages
    (planned at their steps by ``plan_write`` like any decision), and the operations memo says
    the lead decided differently and why. A ``PlaybookError`` (a fact the outcome's texts need
    is missing) refuses the override with its Korean message. Otherwise (no hook, or ``None``:
    no texts for that outcome) the case records the outcome and the reason, and a follow-up
    step says the rest is done by hand: sending the proposal's messages for an outcome that
    was *not* chosen would be wrong.
    """
    module = playbook_module(case.playbook)
    _check_override_outcome(module, outcome)
    label = _outcome_label(module, outcome)
    was = _outcome_label(module, proposed.outcome)
    hook = getattr(module, "propose_outcome", None)
    if hook is not None:
        from cases.playbooks.env import DatabaseEnv

        serializer = module.FACTS(data=case.facts)
        if not serializer.is_valid():
            raise FactsInvalid(flatten_errors(serializer.errors))
        try:
            chosen = hook(serializer.validated_data, outcome, at, env or DatabaseEnv())
        except PlaybookError as exc:
            raise ProposalFailed(str(exc)) from exc
        if chosen is not None:
            if chosen.outcome != outcome or chosen.playbook != proposed.playbook:
                raise ProposalFailed(f"'{label}' 결과의 제안을 만들 수 없습니다.")
            note = f"[제안과 다르게 결정] 제안 {was} → {label} · 사유: {reason}"
            return dataclasses.replace(
                chosen, operations_memo=_append(chosen.operations_memo, note)
            )
    # No playbook text for this outcome: the record says what was decided, why, and that the
    # customer/driver notice is done by hand (CEMS), so no case ends with no record and no SMS.
    notes = f"-처리내용: 제안({was})과 다르게 '{label}'(으)로 결정\n-변경 사유: {reason}"
    return Proposal(
        playbook=proposed.playbook,
        version=proposed.version,
        outcome=outcome,
        reason=reason,
        consultation_type=proposed.consultation_type,
        steps=(
            Step(
                code="override_follow_up",
                label=f"'{label}' 결정에 따른 안내·문자 직접 진행 (CEMS 발송 후 'CEMS로 직접 보냄' 기록)",
                roles=ALL,
                kind="action",
                script=f"플레이북이 이 결과의 문자를 만들지 않습니다. 변경 사유: {reason}",
            ),
            Step(
                code="override_record",
                label="상담이력 처리내용에 안내 결과 기재",
                roles=ALL,
                kind="memo",
                script=notes,
            ),
        ),
        record=ConsultationRecord(title=label, inquiry="", notes=notes),
        operations_memo=f"[제안과 다르게 결정] {label} · 사유: {reason} · 안내·문자는 직접 진행",
        result_type=None,
    )


def _check_roles(actor, proposal: Proposal) -> None:
    """Lead-only work stays with leads (seed 001: "팀장, 부팀장" rows)."""
    if actor.is_superuser:
        return
    roles = user_roles(actor)
    route = proposal.route
    if route is not None and route.allowed_roles and not (roles & set(route.allowed_roles)):
        raise ActionNotAllowed(
            "이 경로는 팀장·부팀장만 처리할 수 있습니다. 팀장에게 이관해 주세요."
            if set(route.allowed_roles) <= LEADS
            else "이 경로를 처리할 권한이 없습니다."
        )
    for step in proposal.steps:
        step_roles = set(step.roles)
        if step_roles and step_roles <= LEADS and not (roles & step_roles):
            raise ActionNotAllowed(
                f"'{step.label}' 단계는 팀장·부팀장만 할 수 있습니다. 팀장에게 이관해 주세요."
            )


def _recipients(case: Case, proposal: Proposal) -> list[tuple[object, str]]:
    """(message spec, phone) pairs; RecipientMissing when an audience has no phone.

    Kept for callers written before the plan (:mod:`cases.services.plan` is the way now)."""
    from cases.services.plan import _recipients as phones

    return list(zip(proposal.messages, phones(case, proposal), strict=True))


def _queue_messages(case: Case, pairs, actor) -> list:
    """Compatibility for callers written before the plan: each message is *drafted* at the
    pending step of ``case`` that sends it (its ``step`` code, else the last pending SMS step),
    never sent at once. New code calls :func:`cases.services.plan.case_plan_replace_pending`."""
    from cases.models import CaseStep, StepKind, StepStatus
    from cases.services.plan import plan_advance
    from templates_app.errors import MessageError
    from templates_app.services import message_queue

    pending = list(CaseStep.objects.filter(case=case, status=StepStatus.PENDING).order_by("-order"))
    drafted = []
    for spec, phone in pairs:
        step = next((s for s in pending if spec.step and s.code == spec.step), None) or next(
            (s for s in pending if s.kind == StepKind.SMS), None
        )
        try:
            drafted.append(
                message_queue(
                    template_name=spec.template,
                    recipient=phone,
                    context=dict(spec.context),
                    idempotency_key=message_idempotency_key(case, spec.template, spec.audience),
                    actor=actor,
                    subject=case,
                    audience=spec.audience,
                    planned=True,
                    step=step,
                )
            )
        except MessageError as exc:
            raise MessageNotQueued(f"'{spec.template}' 문자를 만들 수 없습니다: {exc}") from exc
    plan_advance(case=case, actor=actor)
    return drafted


def _leaf(path) -> ConsultationType | None:
    if not path:
        return None
    try:
        return ConsultationType.objects.leaf_for_path(tuple(path))
    except ConsultationType.DoesNotExist:
        return None


def _append(existing: str, text: str) -> str:
    if not text or text in existing:
        return existing
    return f"{existing}\n{text}" if existing else text


@transaction.atomic
def case_decide(
    *,
    case: Case,
    actor,
    proposal: Proposal | None = None,
    override_outcome: str | None = None,
    override_reason: str | None = None,
    at=None,
    env=None,
) -> Case:
    """Decide ``case`` per ``proposal`` (default: what its playbook proposes now).

    One transaction: outcome, reason, result type, playbook version and the proposal snapshot;
    the consultation-type leaf; 상담이력 (title / inquiry / notes); billing and operations
    memos; the Agit post; the plan (:mod:`cases.services.plan`): the steps checklist and every
    message *drafted* in the outbox with the key ``case:<pk>:<template>:<audience>``, linked
    to the step that sends it (nothing is sent at the decision: a message goes out when the case
    reaches its step); status ``decided``. Any refusal leaves the case as it was:

    - ``ActionNotAllowed``: the actor may not decide this case, may not override, or the
      proposal's route / steps are for leads only and the actor is an agent;
    - ``OverrideReasonRequired`` / ``UnknownOutcome``: an override without reason / with a
      code the playbook does not know;
    - ``NeedsReview``: the playbook did not decide (``needs_review``) and no outcome was chosen;
    - ``RecipientMissing``: a message's audience has no phone on the case;
    - ``InvalidTransition``: the case is already decided or closed (deciding twice queues
      nothing twice);
    - ``ProposalFailed``: the playbook cannot propose, or a given ``proposal`` is of another
      playbook or has another outcome than the playbook proposes now (a screen's stale copy).

    ``proposal`` is for screens that showed one (the admin's confirmation page): it must come
    from :func:`case_propose`, not from user input.

    An unassigned case is assigned to the actor who decides it.
    """
    at = moment(at)
    locked = lock_case(case)
    require(actor, "cases.case.decide", locked, message="이 케이스를 결정할 권한이 없습니다.")
    check_transition(locked.status, "decide")
    proposed = proposal or case_propose(case=locked, at=at, env=env)
    if proposed.playbook != locked.playbook:
        raise ProposalFailed("다른 플레이북의 제안으로는 결정할 수 없습니다.")
    if (
        proposal is not None
        and proposal.outcome != case_propose(case=locked, at=at, env=env).outcome
    ):
        # A screen may pass the proposal it showed; a different outcome than the playbook's
        # is an override and must take that door (reason + permission), never this one.
        raise ProposalFailed("확인한 뒤 제안이 바뀌었습니다. 다시 확인해 주세요.")

    effective = proposed
    is_override = bool(override_outcome) and override_outcome != proposed.outcome
    if is_override:
        if not (override_reason or "").strip():
            raise OverrideReasonRequired()
        require(
            actor,
            "cases.case.override",
            locked,
            message="제안과 다르게 결정하는 것은 팀장·부팀장·담당자만 할 수 있습니다.",
        )
        effective = _override_proposal(
            locked, proposed, override_outcome, override_reason.strip(), at, env
        )
    if effective.outcome == NEEDS_REVIEW:
        raise NeedsReview()
    _check_roles(actor, effective)
    plan_check(locked, effective)
    leaf = _leaf(effective.consultation_type) or locked.consultation_type

    # --- every check passed: write -------------------------------------------------------
    if locked.assignee_id is None and (actor.is_superuser or user_roles(actor) & ALL_AGENTS):
        from cases.services.workflow import _assign

        _assign(locked, actor, actor=actor, at=at)
    locked.outcome = effective.outcome
    locked.reason = effective.reason
    locked.result_type = effective.result_type or ""
    locked.playbook_version = effective.version
    locked.proposal = proposal_snapshot(proposed)
    locked.is_override = is_override
    locked.override_reason = override_reason.strip() if is_override else ""
    locked.overridden_by = actor if is_override else None
    locked.consultation_type = leaf
    if effective.record is not None:
        locked.record_title = effective.record.title
        locked.record_inquiry = effective.record.inquiry or locked.record_inquiry
        locked.record_notes = effective.record.notes
    locked.billing_memo = _append(locked.billing_memo, effective.billing_memo)
    locked.operations_memo = _append(locked.operations_memo, effective.operations_memo)
    locked.status = check_transition(locked.status, "decide").target
    locked.waiting_on = ""
    locked.decided_at = at
    locked.first_response_at = locked.first_response_at or at
    reason = f"결정: {effective.outcome}" + (" (제안과 다르게)" if is_override else "")
    audited_save(locked, actor, reason=reason)

    if effective.escalation is not None:
        spec = effective.escalation
        post = EscalationPost(
            case=locked,
            board=spec.board,
            template=spec.template,
            body=spec.body,
            mentions=list(spec.mentions),
            reason=PostReason.PLAYBOOK,
            created_by=actor,
            created_at=at,
        )
        audited_save(post, actor)
    # The plan: steps, and each message drafted at the step that sends it (nothing is sent now).
    plan_write(locked, effective, actor=actor, at=at)
    return mirror(case, locked)
