"""Step clocks: start, pause, resume, stop, and the overdue job's marking and notification.

Where the clocks move (each inside the transaction of the service that moves the case):

- ``case_decide`` writes the steps -> :func:`clock_start` for each step that waits on someone or
  carries a due rule; a re-decision skips the old pending steps -> :func:`clock_stop`;
- ``case_step_complete`` (and the automatic ticks) -> :func:`clock_stop`;
- ``case_transition`` ``close`` -> :func:`clocks_stop_all` (a closed case promises nothing);
- "고객 회신 대기": steps (and so clocks) exist only once the case is decided, where the
  workflow has no ``wait`` any more; an agent records the wait with :func:`case_clocks_pause`
  and the answer with :func:`case_clocks_resume` (the case's ``waiting_on`` shows it on every
  list, and ``close`` clears it).

Which clocks pause while the case waits on the customer: those whose step waits on the team, a
partner, a CPO or a driver: their work needs the customer's answer, so their promise to the
customer stands still. A step that waits on the customer is the customer's own deadline (seed
004: 블랙박스 "2주 정도", then 현금 지급 without footage) and keeps running; the payout batch and a
card refund (no ``waits_on``) run whatever the customer does.

The overdue job (:func:`clocks_mark_overdue`, then :func:`clocks_notify_overdue`) marks each
clock at most once: the mark is a guarded write under a row lock, so running it twice, or two
workers at once, marks nothing twice. The notification is claimed in the same way and sent after
commit; a failed send gives the claim back so the next run tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from cases.exceptions import InvalidTransition
from cases.models import Case, CaseStep, ClockStop, Status, StepClock, WaitingOn
from cases.services._common import audited_save, lock_case, mirror, moment, require
from kmcs_site.business_time import due_at, extend_for_pause, resolve_rule

logger = logging.getLogger(__name__)

#: Steps whose clocks stand still while the case waits on the customer (see module docstring).
PAUSES_ON_CUSTOMER = frozenset({WaitingOn.TEAM, WaitingOn.PARTNER, WaitingOn.CPO, WaitingOn.DRIVER})

#: How many clocks the overdue job handles per transaction.
OVERDUE_CHUNK = 500


# --- start / stop ----------------------------------------------------------------------------
def clock_rule_for(step: CaseStep) -> str:
    """The step's due rule, or the service level named after whom it waits on; '' = no clock."""
    if step.due_rule:
        return step.due_rule
    if step.waits_on:
        return f"service_level:{step.waits_on}"
    return ""


def _counterparty(case: Case, waits_on: str):
    """(Partner row or None, label) of whom a step waits on, for "overdue by partner".

    Seed 001 cases name their operator (``facts.partner``), seed 003 cases their CPO
    (``facts.cpo_name``); other waits have no named counterparty.
    """
    facts = case.facts or {}
    if waits_on == WaitingOn.PARTNER and facts.get("partner"):
        from partners.models import Partner

        partner = Partner.objects.filter(code=facts["partner"]).first()
        if partner is not None:
            return partner, partner.name
    if waits_on == WaitingOn.CPO and facts.get("cpo_name"):
        return None, str(facts["cpo_name"])[:100]
    return None, ""


def clock_start(*, step: CaseStep, actor, at: datetime) -> StepClock | None:
    """Start the clock of a step just written by a decision (inside its transaction).

    No clock for a step that neither waits on anyone nor carries a rule. A rule this module
    cannot compute raises ``DueRuleError``: a playbook bug that must not be decided around.
    """
    rule = clock_rule_for(step)
    if not rule:
        return None
    effective = resolve_rule(rule)
    partner, counterparty = _counterparty(step.case, step.waits_on)
    clock = StepClock(
        step=step,
        case=step.case,
        playbook=step.case.playbook,
        step_code=step.code,
        waits_on=step.waits_on,
        rule=rule,
        effective_rule=effective,
        pauses_on_customer=step.waits_on in PAUSES_ON_CUSTOMER,
        partner=partner,
        counterparty=counterparty,
        started_at=at,
        due_at=due_at(effective, at),
    )
    audited_save(clock, actor, reason="기한 시작")
    return clock


def _apply_resume(clock: StepClock, at: datetime) -> None:
    """Fold a pause ending at ``at`` into the clock (no save)."""
    if clock.paused_at is None:
        return
    until = max(at, clock.paused_at)
    clock.due_at = extend_for_pause(clock.effective_rule, clock.due_at, clock.paused_at, until)
    clock.paused_seconds += int((until - clock.paused_at).total_seconds())
    clock.paused_at = None


def _stop(clock: StepClock, *, actor, at: datetime, reason: str) -> StepClock:
    _apply_resume(clock, at)
    clock.stopped_at = at
    clock.stop_reason = reason
    audited_save(clock, actor, reason=f"기한 종료: {ClockStop(reason).label}")
    return clock


def clock_stop(*, step: CaseStep, actor, at: datetime, reason: str = ClockStop.DONE):
    """Stop the step's clock if it runs (step done or replaced). Inside the caller's transaction."""
    clock = StepClock.objects.filter(step=step, stopped_at__isnull=True).first()
    if clock is None:
        return None
    return _stop(clock, actor=actor, at=at, reason=reason)


def _running(case: Case):
    return StepClock.objects.filter(case=case, stopped_at__isnull=True).order_by("pk")


def clocks_pause_for_customer(*, case: Case, actor, at: datetime) -> int:
    """Pause the case's running clocks that wait for the customer's answer; how many paused.

    A promise already broken stays broken: a clock past its due time does not pause (so a
    paused clock is never overdue, and a wait cannot hide a miss from the overdue queue).
    """
    paused = 0
    running = _running(case).filter(paused_at__isnull=True, pauses_on_customer=True, due_at__gt=at)
    for clock in running:
        clock.paused_at = at
        audited_save(clock, actor, reason="고객 회신 대기: 일시정지")
        paused += 1
    return paused


def clocks_resume(*, case: Case, actor, at: datetime) -> int:
    """Resume the case's paused clocks, moving each due time by the pause; how many resumed."""
    resumed = 0
    for clock in _running(case).filter(paused_at__isnull=False):
        _apply_resume(clock, at)
        audited_save(clock, actor, reason="고객 회신: 재개")
        resumed += 1
    return resumed


def clocks_stop_all(*, case: Case, actor, at: datetime, reason: str) -> int:
    stopped = 0
    for clock in _running(case):
        _stop(clock, actor=actor, at=at, reason=reason)
        stopped += 1
    return stopped


# --- "고객 회신 대기" after the decision ------------------------------------------------------
@transaction.atomic
def case_clocks_pause(*, case: Case, actor, at=None, note: str = "") -> Case:
    """Record that a decided case waits on the customer: its customer-dependent clocks pause.

    Before the decision the workflow's own ``wait`` (대기, 대기 대상: 고객) does the same.
    Refused (nothing changes) on a closed case, before the decision, or when already waiting.
    """
    at = moment(at)
    locked = lock_case(case)
    require(actor, "cases.case.change", locked, message="이 케이스를 수정할 권한이 없습니다.")
    if locked.status != Status.DECIDED:
        raise InvalidTransition(
            "처리 결정 전에는 상태 전환 '대기 (회신 대기)'에서 대기 대상 '고객'을 선택해 주세요."
            if locked.status != Status.CLOSED
            else "종결된 케이스는 수정할 수 없습니다."
        )
    if locked.waiting_on == WaitingOn.CUSTOMER:
        raise InvalidTransition("이미 고객 회신 대기 중입니다.")
    locked.waiting_on = WaitingOn.CUSTOMER
    audited_save(
        locked, actor, reason="고객 회신 대기 (기한 일시정지)" + (f": {note}" if note else "")
    )
    clocks_pause_for_customer(case=locked, actor=actor, at=at)
    return mirror(case, locked)


@transaction.atomic
def case_clocks_resume(*, case: Case, actor, at=None, note: str = "") -> Case:
    """The customer answered: the paused clocks run again, each due time moved by the pause."""
    at = moment(at)
    locked = lock_case(case)
    require(actor, "cases.case.change", locked, message="이 케이스를 수정할 권한이 없습니다.")
    if locked.status != Status.DECIDED or locked.waiting_on != WaitingOn.CUSTOMER:
        raise InvalidTransition("고객 회신 대기 중인 케이스가 아닙니다.")
    locked.waiting_on = ""
    audited_save(locked, actor, reason="고객 회신 (기한 재개)" + (f": {note}" if note else ""))
    clocks_resume(case=locked, actor=actor, at=at)
    return mirror(case, locked)


# --- the overdue job -------------------------------------------------------------------------
def _overdue_now(now: datetime) -> Q:
    """Running, not paused (a paused clock was within time when it paused) and past due."""
    return Q(stopped_at__isnull=True, paused_at__isnull=True, due_at__lt=now)


def clocks_mark_overdue(*, now: datetime | None = None) -> list[int]:
    """Mark every running clock whose promise is broken; the ids marked by *this* run.

    Each chunk is one transaction holding row locks (``skip_locked`` where the database has
    it), and the write is guarded by ``overdue_marked_at IS NULL``: a clock is marked once,
    however often or concurrently the job runs. History rows record the mark (system user).
    """
    now = now or timezone.now()
    marked: list[int] = []
    while True:
        with transaction.atomic():
            chunk = list(
                StepClock.objects.select_for_update(skip_locked=True)
                .filter(_overdue_now(now), overdue_marked_at__isnull=True)
                .order_by("due_at", "pk")[:OVERDUE_CHUNK]
            )
            for clock in chunk:
                clock.overdue_marked_at = now
                audited_save(clock, None, reason="기한 초과 표시", clean=False)
                marked.append(clock.pk)
            _notify_marked([clock.pk for clock in chunk], now)
        if len(chunk) < OVERDUE_CHUNK:
            return marked


def _notify_marked(clock_ids: list[int], now: datetime) -> None:
    """In-app '처리 기한 초과' for each newly marked clock's assignee, in the marking's
    transaction (a clock is marked once; the notification's key is the step, so a step whose
    clock was replaced by a fact revision is still announced once)."""
    if not clock_ids:
        return
    from notifications.notify import notify_step_overdue

    for clock in StepClock.objects.filter(pk__in=clock_ids).select_related(
        "case__assignee", "step"
    ):
        notify_step_overdue(clock=clock, at=now)


@dataclass(frozen=True)
class OverdueItem:
    case_id: int
    playbook_label: str
    step_label: str
    due_at: datetime
    url: str


@dataclass
class OverdueNotice:
    """One message to one person: the overdue steps they should know about."""

    user_id: int
    username: str
    email: str
    items: list[OverdueItem] = field(default_factory=list)


def _case_url(case_id: int) -> str:
    from django.urls import reverse

    from notifications.services import site_url

    return site_url(reverse("workspace:case", kwargs={"case_id": case_id}))


def _notices_for(clocks: Iterable[StepClock]) -> list[OverdueNotice]:
    """Group clocks by recipient: the assignee, the notify roles (all), managers (their steps)."""
    from django.contrib.auth import get_user_model

    from kmcs_site.permissions import Role

    clocks = list(clocks)
    roles = set(settings.KMCS_OVERDUE_NOTIFY_ROLES)
    users = {
        u.pk: u
        for u in get_user_model()
        .objects.filter(is_active=True, groups__name__in=roles | {Role.MANAGER})
        .exclude(email="")
        .prefetch_related("groups")
        .distinct()
    }
    user_roles = {pk: {g.name for g in u.groups.all()} for pk, u in users.items()}
    notices: dict[int, OverdueNotice] = {}

    def add(user, item):
        notice = notices.setdefault(
            user.pk, OverdueNotice(user_id=user.pk, username=user.get_username(), email=user.email)
        )
        notice.items.append(item)

    for clock in clocks:
        item = OverdueItem(
            case_id=clock.case_id,
            playbook_label=str(clock.case.get_playbook_display()),
            step_label=f"{clock.step.order}. {clock.step.label}",
            due_at=clock.due_at,
            url=_case_url(clock.case_id),
        )
        assignee = clock.case.assignee
        sent_to = set()
        if assignee is not None and assignee.is_active and assignee.email:
            add(assignee, item)
            sent_to.add(assignee.pk)
        manager_only = set(clock.step.roles or ()) == {Role.MANAGER}
        for pk, user in users.items():
            if pk in sent_to:
                continue
            held = user_roles[pk]
            if held & roles or (manager_only and Role.MANAGER in held):
                add(user, item)
    return sorted(notices.values(), key=lambda n: n.user_id)


def overdue_notifier():
    """The configured notifier (``KMCS_OVERDUE_NOTIFIER``), a class with ``send(notices)``."""
    return import_string(settings.KMCS_OVERDUE_NOTIFIER)()


def clocks_notify_overdue(*, now: datetime | None = None) -> int:
    """Tell people about marked clocks nobody was told about yet; how many clocks were sent.

    Claimed (``notified_at``) in one transaction, sent after it commits; a notifier error gives
    the claim back (the next run tries again) and is logged, never raised into the beat job.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            StepClock.objects.select_for_update(skip_locked=True)
            .filter(
                stopped_at__isnull=True,
                overdue_marked_at__isnull=False,
                notified_at__isnull=True,
            )
            .order_by("due_at", "pk")[:OVERDUE_CHUNK]
        )
        for clock in claimed:
            clock.notified_at = now
            audited_save(clock, None, reason="기한 초과 알림", clean=False)
    if not claimed:
        return 0
    ids = [c.pk for c in claimed]
    clocks = StepClock.objects.filter(pk__in=ids).select_related("case__assignee", "step")
    try:
        overdue_notifier().send(_notices_for(clocks))
    except Exception:
        logger.exception("기한 초과 알림 발송 실패: 다음 실행에서 다시 보냅니다 (%d건)", len(ids))
        with transaction.atomic():
            for clock in StepClock.objects.select_for_update().filter(pk__in=ids, notified_at=now):
                clock.notified_at = None
                audited_save(clock, None, reason="기한 초과 알림 실패: 재시도 대기", clean=False)
        return 0
    return len(ids)
