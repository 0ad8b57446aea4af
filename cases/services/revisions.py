"""Fact revisions: a case learns a fact after intake and its proposal follows.

The seeds' cases do not stop at intake. Seed 003: the team or the CPO answers ("답변 기록 후 다시
판단"); seed 001: the customer accepts or rejects the refund figure ("고객 수긍/미수긍"); seed
002: a lead fills the fact a ``needs_review`` case lacked, then decides. ``case_revise_facts``
is the one door for all of them (the case page and the admin call it):

- the new facts are the old ones with the given values (``None`` removes a fact), validated by
  the playbook's ``FACTS`` exactly as at intake; a refusal is :class:`FactsInvalid` with Korean
  field errors and nothing changes;
- the revision is a :class:`~cases.models.FactRevision` row (who, when, before/after, the
  proposal before and after), written with the case in one transaction;
- an open case (not yet decided) simply re-proposes: its stored proposal becomes the new one;
- a decided case is re-planned with the new proposal: steps already done stay done, the
  proposal's remaining steps replace the pending ones and its SMS are drafted at their steps
  (the plan service, ``case_plan_replace_pending``; a message already sent is never sent
  again); a replaced step that is the same step keeps its promise (its clock's due time);
- the duplicate guard never refuses the case's own revision: the business key is recomputed,
  and only *another* open case holding the new key refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError as DrfValidationError

from cases.business_keys import REFERENCE_FIELDS, business_key_for, references_from
from cases.exceptions import (
    ActionNotAllowed,
    DuplicateOpenCase,
    FactsInvalid,
    InvalidTransition,
    NeedsReview,
    ProposalFailed,
)
from cases.models import (
    DONE_STATUSES,
    Case,
    CaseStep,
    EscalationPost,
    FactRevision,
    PostReason,
    Status,
    StepClock,
    StepStatus,
)
from cases.playbooks.base import PlaybookError, Proposal
from cases.proposals import proposal_snapshot
from cases.selectors import case_open_duplicate
from cases.services._common import audited_save, lock_case, mirror, moment, require
from cases.services.intake import _validated_facts, facts_serializer, playbook_module

NEEDS_REVIEW = "needs_review"


@dataclass(frozen=True)
class FactRevisionResult:
    case: Case
    revision: FactRevision
    proposal: Proposal | None

    @property
    def message(self) -> str:
        revision = self.revision
        text = f"사실관계를 수정했습니다 (수정 {revision.number})."
        if revision.proposal_error:
            return f"{text} 새 제안을 만들지 못했습니다: {revision.proposal_error}"
        if revision.replanned:
            return f"{text} 새 제안으로 남은 처리 단계와 문자를 바꿨습니다."
        return f"{text} 새 제안을 확인해 주세요."


def _merged(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(current or {})
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _references(case: Case, old_facts: Mapping, new_facts: Mapping) -> dict[str, str]:
    """The case's reference columns after the revision: a column that came from a fact follows
    the fact; one intake was given explicitly (from the source system) stays."""
    from_old = references_from({}, old_facts)
    from_new = references_from({}, new_facts)
    refs = {}
    for name in REFERENCE_FIELDS:
        current = getattr(case, name) or ""
        refs[name] = from_new[name] if current == from_old[name] else current
    return refs


def _proposal_before(case: Case, env) -> dict | None:
    if case.proposal:
        return case.proposal
    from cases.services.decisions import case_propose

    try:
        return proposal_snapshot(case_propose(case=case, env=env))
    except Exception:
        return None


def _propose(case: Case, validated, at, env) -> tuple[Proposal | None, str]:
    from cases.playbooks import propose_validated
    from cases.playbooks.env import DatabaseEnv

    try:
        return propose_validated(case.playbook, validated, at, env or DatabaseEnv()), ""
    except DrfValidationError as exc:
        return None, FactsInvalid(_flatten(exc.detail)).message
    except PlaybookError as exc:
        return None, ProposalFailed(str(exc)).message


def _flatten(detail):
    from cases.services._common import flatten_errors

    return flatten_errors(detail)


@transaction.atomic
def case_revise_facts(
    *,
    case: Case,
    actor,
    facts: Mapping[str, Any],
    note: str = "",
    at=None,
    env=None,
) -> FactRevisionResult:
    """Add or correct facts of ``case`` and let its proposal follow (see the module docstring).

    Refusals (nothing changes): :class:`ActionNotAllowed` (an agent on a case not assigned to
    them, an agent on a case a lead decided differently, lead-only steps), ``InvalidTransition``
    (closed case), :class:`FactsInvalid` (FACTS refuses, unknown fact, nothing changed),
    :class:`DuplicateOpenCase` (another open case holds the new business key), and on a decided
    case :class:`NeedsReview` / :class:`ProposalFailed` / ``RecipientMissing`` (the new facts
    cannot be planned).
    """
    at = moment(at)
    locked = lock_case(case)
    require(
        actor,
        "cases.case.revise_facts",
        locked,
        message="이 케이스의 사실관계를 수정할 권한이 없습니다 (상담사는 자기 담당 케이스만).",
    )
    if locked.status == Status.CLOSED:
        raise InvalidTransition(
            "종결된 케이스의 사실관계는 수정할 수 없습니다. 재오픈 후 수정해 주세요."
        )
    if not isinstance(facts, Mapping):
        raise FactsInvalid({"facts": ["사실관계는 항목: 값 형식이어야 합니다."]})
    note = (note or "").strip()
    if len(note) > 1000:
        raise FactsInvalid({"note": ["수정 사유는 1000자 이하로 입력해 주세요."]})

    module = playbook_module(locked.playbook)
    declared = facts_serializer(module).fields
    errors: dict[str, list[str]] = {}
    for name in sorted(set(facts) - set(declared)):
        errors[name] = [f"이 플레이북에 없는 사실관계 항목입니다: {name}"]
    old_facts = dict(locked.facts or {})
    clean, validated = _validated_facts(module, _merged(old_facts, facts), locked.channel, errors)
    if errors:
        raise FactsInvalid(errors)
    changed = sorted(
        name for name in set(clean) | set(old_facts) if clean.get(name) != old_facts.get(name)
    )
    if not changed:
        raise FactsInvalid({"non_field_errors": ["바뀐 사실관계가 없습니다."]})

    decided = locked.status == Status.DECIDED
    if decided and locked.is_override and not _may_override(actor, locked):
        raise ActionNotAllowed(
            "팀장·부팀장·담당자가 제안과 다르게 결정한 케이스입니다. "
            "사실관계 수정은 팀장·부팀장·담당자에게 요청해 주세요."
        )

    proposal_before = _proposal_before(locked, env)
    proposal, proposal_error = _propose(locked, validated, at, env)
    if decided:
        _check_plan(locked, actor, proposal, proposal_error)

    # --- every check passed: write ---------------------------------------------------------
    refs = _references(locked, old_facts, clean)
    key = business_key_for(locked.playbook, references=refs, facts=clean)
    if key != locked.business_key and locked.status not in DONE_STATUSES:
        other = case_open_duplicate(playbook=locked.playbook, business_key=key)
        if other is not None and other.pk != locked.pk:
            raise DuplicateOpenCase(other)
    for name, value in refs.items():
        setattr(locked, name, value)
    locked.business_key = key
    locked.facts = clean
    locked.proposal = proposal_snapshot(proposal) if proposal is not None else None
    if decided:
        _apply_decision(locked, proposal, is_override_kept=False)

    number = (
        FactRevision.objects.filter(case=locked)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    ) + 1
    reason = f"사실관계 수정 {number}: {', '.join(_labels(declared, changed))}"
    try:
        with transaction.atomic():
            audited_save(locked, actor, reason=reason, validate_constraints=False)
    except IntegrityError as exc:  # another open case took the new key meanwhile
        other = case_open_duplicate(playbook=locked.playbook, business_key=key)
        raise DuplicateOpenCase(other) from exc

    revision = FactRevision(
        case=locked,
        number=number,
        note=note,
        facts_before=old_facts,
        facts_after=clean,
        changed=changed,
        status_at=locked.status,
        outcome_before=(proposal_before or {}).get("outcome", "") or "",
        outcome_after=proposal.outcome if proposal is not None else "",
        proposal_before=proposal_before,
        proposal_after=locked.proposal,
        proposal_error=proposal_error,
        replanned=decided,
        created_by=actor,
        created_at=at,
    )
    audited_save(revision, actor, reason="사실관계 수정")
    if decided:
        _replan(locked, proposal, actor, at)
    from notifications.notify import notify_facts_revised

    notify_facts_revised(
        case=locked, revision=revision, actor=actor, labels=_labels(declared, changed), at=at
    )
    return FactRevisionResult(case=mirror(case, locked), revision=revision, proposal=proposal)


def _labels(declared, names) -> list[str]:
    return [str(getattr(declared.get(name), "label", None) or name) for name in names]


def _may_override(actor, case: Case) -> bool:
    from kmcs_site.permissions import user_can

    return user_can(actor, "cases.case.override", case)


def _check_plan(case: Case, actor, proposal: Proposal | None, error: str) -> None:
    """A decided case is re-planned: the new proposal must be one deciding would accept."""
    from cases.services.decisions import _check_roles, _recipients

    if proposal is None:
        raise ProposalFailed(f"새 사실관계로 처리 계획을 만들 수 없습니다: {error}")
    if proposal.outcome == NEEDS_REVIEW:
        raise NeedsReview(
            "새 사실관계로는 플레이북이 처리 결과를 정하지 못합니다 (검토 필요). "
            "결정된 케이스는 그대로 두었습니다. 팀장에게 검토를 요청해 주세요."
        )
    _check_roles(actor, proposal)
    _recipients(case, proposal)


def _apply_decision(case: Case, proposal: Proposal, *, is_override_kept: bool) -> None:
    """The decision's fields from the new proposal (as ``case_decide`` writes them; no save)."""
    from cases.services.decisions import _append, _leaf

    case.outcome = proposal.outcome
    case.reason = proposal.reason
    case.result_type = proposal.result_type or ""
    case.playbook_version = proposal.version
    if not is_override_kept:
        # The plan now follows the playbook again (a lead revised an overridden case).
        case.is_override = False
        case.override_reason = ""
        case.overridden_by = None
    case.consultation_type = _leaf(proposal.consultation_type) or case.consultation_type
    if proposal.record is not None:
        case.record_title = proposal.record.title
        case.record_inquiry = proposal.record.inquiry or case.record_inquiry
        case.record_notes = proposal.record.notes
    case.billing_memo = _append(case.billing_memo, proposal.billing_memo)
    case.operations_memo = _append(case.operations_memo, proposal.operations_memo)


def _replan(case: Case, proposal: Proposal, actor, at) -> None:
    """Replace what was still to do on a decided case with the new proposal's remaining work.

    The plan itself is the plan service's (``case_plan_replace_pending``): done steps stay
    done, pending ones become skipped, the proposal's remaining steps are written and its SMS
    drafted at their steps (a message already queued or sent is never sent again; a draft the
    new proposal no longer holds is cancelled). On top of it, here: a replaced step that is the
    same step (code, label, whom it waits on, rule) keeps its promise (its clock's start and
    due time), and an Agit post the proposal prescribes is written if the case lacks it.
    """
    from cases.services.plan import case_plan_replace_pending

    running = {
        _signature(clock.step): clock
        for clock in StepClock.objects.filter(
            case=case, stopped_at__isnull=True, step__status=StepStatus.PENDING
        ).select_related("step")
    }
    plan = case_plan_replace_pending(case=case, proposal=proposal, actor=actor, at=at)
    for row in plan.steps:
        kept = running.get(_signature(row))
        clock = StepClock.objects.filter(step=row, stopped_at__isnull=True).first()
        if clock is not None and kept is not None:
            # The same step waiting on the same party: a fact revision does not move its promise.
            clock.started_at = kept.started_at
            clock.due_at = kept.due_at
            clock.overdue_marked_at = kept.overdue_marked_at
            audited_save(clock, actor, reason="기한 유지 (사실관계 수정 전과 같은 단계)")
    if proposal.escalation is not None:
        spec = proposal.escalation
        exists = EscalationPost.objects.filter(
            case=case, board=spec.board, template=spec.template
        ).exists()
        if not exists:
            audited_save(
                EscalationPost(
                    case=case,
                    board=spec.board,
                    template=spec.template,
                    body=spec.body,
                    mentions=list(spec.mentions),
                    reason=PostReason.PLAYBOOK,
                    created_by=actor,
                    created_at=at,
                ),
                actor,
            )


def _signature(step: CaseStep) -> tuple:
    return (step.code, step.label, step.kind, step.waits_on or "", step.due_rule or "")
