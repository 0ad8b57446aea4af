"""The case status workflow, as data.

``TRANSITIONS`` is the whole pipeline: which statuses a move starts from, where it ends, and
which action of ``kmcs_site.permissions`` allows it. Screens list ``Case.available_transitions``;
services apply a move with :func:`check_transition`, which raises :class:`InvalidTransition`
(with a Korean message) before anything changes.

    new -> in_progress <-> waiting -> decided -> closed -> (reopen) in_progress
    (new, in_progress and waiting may be decided directly: the agent decides at first reading)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cases.exceptions import InvalidTransition
from cases.models.choices import Status


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    action: str  # the kmcs_site.permissions action that allows it (with the case as object)
    label: str
    #: The service that performs it. ``decide`` carries a whole proposal, so only
    #: ``case_decide`` may make it; the others go through ``case_transition``.
    service: str = "case_transition"


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "start",
            frozenset({Status.NEW}),
            Status.IN_PROGRESS,
            "cases.case.change",
            _("처리 시작"),
        ),
        Transition(
            "wait",
            frozenset({Status.IN_PROGRESS}),
            Status.WAITING,
            "cases.case.change",
            _("대기 (회신 대기)"),
        ),
        Transition(
            "resume",
            frozenset({Status.WAITING}),
            Status.IN_PROGRESS,
            "cases.case.change",
            _("처리 재개"),
        ),
        Transition(
            "decide",
            frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING}),
            Status.DECIDED,
            "cases.case.decide",
            _("처리 결정"),
            service="case_decide",
        ),
        Transition(
            "close", frozenset({Status.DECIDED}), Status.CLOSED, "cases.case.close", _("종결")
        ),
        Transition(
            "reopen",
            frozenset({Status.CLOSED}),
            Status.IN_PROGRESS,
            "cases.case.reopen",
            _("재오픈"),
        ),
    )
}


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]


def check_transition(status: str, name: str, *, service: str | None = None) -> Transition:
    """The transition ``name`` from ``status``, or :class:`InvalidTransition` (nothing changes)."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise InvalidTransition(f"알 수 없는 상태 전환입니다: {name}")
    if service is not None and transition.service != service:
        raise InvalidTransition(
            f"'{transition.label}'은(는) 이 기능으로 할 수 없습니다. 처리 결정 화면을 이용해 주세요."
        )
    if status not in transition.sources:
        raise InvalidTransition(
            f"'{Status(status).label}' 상태에서는 '{transition.label}'을(를) 할 수 없습니다."
        )
    return transition
