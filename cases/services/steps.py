"""The checklist: an agent (or lead) marks the proposal's steps done, one by one."""

from __future__ import annotations

from django.db import transaction

from cases.exceptions import ActionNotAllowed, InvalidTransition, StepNotFound
from cases.models import Case, CaseStep, Status, StepStatus
from cases.services._common import audited_save, lock_case, moment, require
from cases.services.clocks import clock_stop
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
    if not actor.is_superuser and not (user_roles(actor) & step.roles_set):
        raise ActionNotAllowed(
            f"'{step.label}' 단계는 {_roles_label(step.roles_set)}만 할 수 있습니다."
        )
    step.status = StepStatus.DONE
    step.done_by = actor
    step.done_at = at
    audited_save(step, actor, reason="단계 완료")
    clock_stop(step=step, actor=actor, at=at)
    return step


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
    return step
