"""Reads of step clocks, scoped to the user who asks: a case's clocks with time left, and the
overdue queues (leads: every overdue step; an agent: the overdue steps of their own cases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from cases.access import is_agent_only
from cases.models import Case, ClockStop, StepClock
from kmcs_site.permissions import user_can, user_roles


def human_duration(delta: timedelta) -> str:
    """'2일 3시간', '5시간 20분', '12분', '1분 미만' (sign ignored)."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}일")
    if hours:
        parts.append(f"{hours}시간")
    if mins and not days:
        parts.append(f"{mins}분")
    return " ".join(parts) or "1분 미만"


@dataclass(frozen=True)
class ClockRow:
    """One clock as the case page shows it."""

    clock: StepClock
    step_label: str
    waits_on_label: str
    due_local: datetime
    state: str  # running | overdue | paused | done | late | ended
    text: str


def clock_row(clock: StepClock, now: datetime) -> ClockRow:
    remaining = clock.remaining(now)
    span = human_duration(remaining)
    if clock.stopped_at is not None:
        if clock.stop_reason != ClockStop.DONE:
            state, text = "ended", str(ClockStop(clock.stop_reason).label)
        elif remaining >= timedelta(0):
            state, text = "done", "기한 내 완료"
        else:
            state, text = "late", f"기한보다 {span} 늦게 완료"
    elif clock.paused_at is not None:
        state = "paused"
        text = "일시정지 (고객 회신 대기) · " + (
            f"남은 시간 {span}" if remaining >= timedelta(0) else f"{span} 초과 상태"
        )
    elif remaining >= timedelta(0):
        state, text = "running", f"{span} 남음"
    else:
        state, text = "overdue", f"{span} 초과"
    return ClockRow(
        clock=clock,
        step_label=f"{clock.step.order}. {clock.step.label}",
        waits_on_label=clock.get_waits_on_display() if clock.waits_on else "—",
        due_local=timezone.localtime(clock.due_at),
        state=state,
        text=text,
    )


def case_clock_rows(*, case: Case, now: datetime | None = None) -> list[ClockRow]:
    """The case's clocks in checklist order, with time left (one query)."""
    now = now or timezone.now()
    clocks = (
        StepClock.objects.filter(case_id=case.pk).select_related("step").order_by("step__order")
    )
    return [clock_row(clock, now) for clock in clocks]


def overdue_clocks_for(*, user) -> QuerySet[StepClock]:
    """The 'overdue' queue: running clocks the overdue job marked, oldest due first.

    Leads and managers (``clocks.overdue.read``): every case's. Anyone else who works a queue
    (agents): the overdue steps of cases assigned to them. Everyone else: nothing.
    """
    clocks = (
        StepClock.objects.filter(stopped_at__isnull=True, overdue_marked_at__isnull=False)
        .select_related("case", "case__assignee", "step")
        .order_by("due_at", "pk")
    )
    if user is None or not getattr(user, "is_authenticated", False):
        return clocks.none()
    if user_can(user, "clocks.overdue.read"):
        return clocks
    if user_can(user, "workspace.queue.read") and is_agent_only(user_roles(user)):
        return clocks.filter(case__assignee_id=user.pk)
    return clocks.none()
