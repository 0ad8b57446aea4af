"""What the case page shows, assembled from selectors and the playbook (display only).

Nothing here writes or decides: the proposal of an open case is the playbook's answer for the
stored facts (``case_propose``, pure apart from reading campaigns and routes), its messages are
previewed with the approved templates (``case_message_previews``); a decided case shows what
was stored when it was decided (steps, queued messages, posts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rest_framework import fields as drf_fields

from cases.exceptions import CaseError
from cases.labels import (
    WON_FACTS,
    fact_label,
    figure_rows,
    format_fact,
    format_figure,
    outcome_label,
    override_choices,
)
from cases.models import DONE_STATUSES, Case, StepKind, StepStatus
from cases.playbooks import get_playbook
from cases.playbooks.base import Proposal
from cases.proposals import proposal_fingerprint
from cases.selectors import case_message_previews
from cases.services import case_propose, default_board
from cases.services.agit import agit_enabled
from kmcs_site.permissions import ROLE_LABELS, Role, user_can, user_roles

NEEDS_REVIEW = "needs_review"
ROLE_ORDER = (Role.AGENT, Role.TEAM_LEAD, Role.DEPUTY_LEAD, Role.MANAGER)


def roles_label(roles) -> str:
    codes = set(roles or ())
    if {r.value for r in ROLE_ORDER} <= codes:
        return "모든 상담사"
    return ", ".join(str(ROLE_LABELS[r]) for r in ROLE_ORDER if r.value in codes) or "-"


def known_outcomes(playbook: str) -> list[tuple[str, str]]:
    """(code, Korean label) a lead may override to: the playbook's declared ``OUTCOMES``."""
    return override_choices(playbook)


@dataclass(frozen=True)
class StepRow:
    order: int
    code: str
    label: str
    kind: str
    script: str
    roles: str
    status: str
    status_label: str
    done_by: Any = None
    done_at: Any = None
    can_complete: bool = False
    #: The messages this step sends (drafts until the step is reached), for preview and status.
    messages: tuple = ()
    can_send: bool = False
    can_mark_na: bool = False
    #: The earlier steps still pending ("1. ..., 2. ..."): until they are settled the step is not
    #: reached, and its messages cannot go out.
    waiting_for: str = ""
    na_reason: str = ""
    auto: bool = False

    @property
    def unsent(self) -> bool:
        return any(m.status not in ("sent", "sent_by_hand", "cancelled") for m in self.messages)


@dataclass
class CasePage:
    case: Case
    proposal: Proposal | None = None
    proposal_error: str = ""
    fingerprint: str = ""
    outcome: str = ""
    outcome_title: str = ""
    #: The outcome's Korean label (the playbook's OUTCOMES); the code stays for the API only.
    outcome_label: str = ""
    reason: str = ""
    result_type: str = ""
    #: The case's checklist (CaseStep rows written by the decision).
    checklist: list[StepRow] = field(default_factory=list)
    #: The live proposal's steps (open cases: what deciding would write).
    proposed_steps: list[StepRow] = field(default_factory=list)
    previews: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    escalation_preview: Any = None
    route: Any = None
    #: (Korean label, formatted value) of the proposal's figures (cases.labels.FIGURES).
    figures: list = field(default_factory=list)
    transitions: list = field(default_factory=list)
    default_board: str = ""
    first_driver_message: str = ""
    can: dict[str, bool] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)
    facts: list[tuple[str, str, str]] = field(default_factory=list)  # (name, label, value)

    @property
    def decided(self) -> bool:
        return self.case.status in DONE_STATUSES

    @property
    def needs_review(self) -> bool:
        return self.outcome == NEEDS_REVIEW

    @property
    def undelivered_messages(self) -> list:
        return [m for m in self.messages if not m.is_delivered and m.status != "cancelled"]

    @property
    def close_blockers(self) -> list[StepRow]:
        """The steps that keep the case from closing (neither done nor not applicable)."""
        return [row for row in self.checklist if row.status == StepStatus.PENDING]


def _step_rows_from_case(case: Case, user, can: dict[str, bool]) -> list[StepRow]:
    """The checklist with each step's messages and what the user may do at it (no query: the
    steps and the messages are prefetched with the case)."""
    roles = user_roles(user)
    by_step: dict[int, list] = {}
    for message in case.outbound_messages.all():
        if message.step_id is not None:
            by_step.setdefault(message.step_id, []).append(message)
    workable = case.status == "decided"
    rows = []
    before: list[str] = []  # the pending steps met so far
    for step in case.steps.all():  # prefetched in order, with done_by
        pending = step.status == StepStatus.PENDING
        mine = user.is_superuser or bool(roles & step.roles_set)
        messages = tuple(by_step.get(step.pk, ()))
        unsent = any(m.status not in ("sent", "sent_by_hand", "cancelled") for m in messages)
        may = pending and workable and mine
        rows.append(
            StepRow(
                order=step.order,
                code=step.code,
                label=step.label,
                kind=step.get_kind_display(),
                script=step.script,
                roles=roles_label(step.roles),
                status=step.status,
                status_label=step.get_status_display(),
                done_by=step.done_by,
                done_at=step.done_at,
                can_complete=may and can.get("steps", False) and not unsent,
                messages=messages,
                can_send=may and can.get("send", False) and unsent and not before,
                can_mark_na=may and can.get("mark_na", False),
                waiting_for=", ".join(before) if pending else "",
                na_reason=step.na_reason,
                auto=step.auto,
            )
        )
        if pending:
            before.append(f"{step.order}. {step.label}")
    return rows


def _step_rows_from_proposal(proposal: Proposal) -> list[StepRow]:
    return [
        StepRow(
            order=index,
            code=step.code,
            label=step.label,
            kind=str(StepKind(step.kind).label) if step.kind in StepKind.values else step.kind,
            script=step.script,
            roles=roles_label(step.roles),
            status="proposed",
            status_label="결정 후 진행",
        )
        for index, step in enumerate(proposal.steps, start=1)
    ]


def _fact_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "예" if value else "아니오"
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def fact_rows(case: Case) -> list[tuple[str, str, str]]:
    """The stored facts with the FACTS serializer's Korean labels, in its field order."""
    from cases.services.intake_prepare import facts_serializer

    try:
        # The per-thread FACTS instance: a fresh one deep-copies every field (DRF) per page.
        fields = facts_serializer(get_playbook(case.playbook)).fields
    except LookupError:
        fields = {}
    facts = case.facts or {}
    rows = []
    for name, f in fields.items():
        if name not in facts:
            continue
        value = facts[name]
        current = getattr(f, "current_choices", None)  # a fact among rows (운영사): its name
        choices = current() if current is not None else getattr(f, "choices", None)
        if choices and isinstance(value, str) and value in choices:
            value = str(choices[value])
        elif value not in (None, "") and isinstance(f, drf_fields.DateTimeField):
            value = format_figure("datetime", value)
        elif value not in (None, "") and isinstance(f, drf_fields.DateField):
            value = format_figure("date", value)
        elif name in WON_FACTS:
            value = format_fact(name, value)
        rows.append((name, fact_label(name, f), _fact_value(value)))
    rows += [
        (name, fact_label(name), _fact_value(format_fact(name, v) if name in WON_FACTS else v))
        for name, v in facts.items()
        if name not in fields
    ]
    return rows


def route_view(route: Any) -> dict | None:
    """A route (RouteInfo of a live proposal, or its JSON in the snapshot) for display."""
    if route is None:
        return None
    get = route.get if isinstance(route, dict) else lambda k, d=None: getattr(route, k, d)
    from cases.playbooks.parking_operations import CHANNEL_LABELS

    kind = get("channel_kind", "")
    return {
        "channel_kind": CHANNEL_LABELS.get(kind, kind),
        "channel_target": get("channel_target", ""),
        "recipients_to": ", ".join(get("recipients_to", ()) or ()),
        "recipients_cc": ", ".join(get("recipients_cc", ()) or ()),
        "procedure": get("procedure", ""),
        "notes": get("notes", ""),
        "mentions": " ".join(get("mentions", ()) or ()),
        "roles": roles_label(get("allowed_roles", ()) or ()),
    }


def case_page(*, case: Case, user) -> CasePage:
    """Everything the case page shows for ``user`` (case from ``case_get_for_user_or_404``)."""
    page = CasePage(case=case)
    page.can = {
        "take": case.assignee_id is None and user_can(user, "cases.case.take", case),
        "decide": user_can(user, "cases.case.decide", case),
        "override": user_can(user, "cases.case.override", case),
        "steps": user_can(user, "cases.casestep.change", case),
        "contact": user_can(user, "cases.contactattempt.add", case),
        "post": user_can(user, "cases.escalationpost.add", case),
        "post_link": user_can(user, "cases.escalationpost.change", case),
        "change": user_can(user, "cases.case.change", case),
        "unmask": user_can(user, "cases.case.unmask", case),
        "sent_by_hand": user_can(user, "templates_app.outboundmessage.mark_sent_by_hand", case),
        "send": user_can(user, "cases.casestep.send", case),
        "mark_na": user_can(user, "cases.casestep.mark_na", case),
        "force_close": user_can(user, "cases.case.force_close", case),
        # Issue 16: case e-mail and the Agit webhook.
        "email": user_can(user, "cases.caseemail.add", case),
        "post_publish": agit_enabled() and user_can(user, "cases.escalationpost.publish", case),
        "post_retry": user_can(user, "cases.escalationpost.retry", case),
    }
    page.messages = list(case.outbound_messages.all())
    page.transitions = [t for t in case.available_transitions(user) if t.name != "decide"]
    page.default_board = default_board(case)
    page.facts = fact_rows(case)
    page.outcomes = known_outcomes(case.playbook)
    driver_bodies = [m.body for m in page.messages if m.audience == "driver"]
    page.first_driver_message = driver_bodies[0] if driver_bodies else ""

    page.checklist = _step_rows_from_case(case, user, page.can)
    if page.decided:
        snapshot = case.proposal or {}
        page.outcome = case.outcome
        page.outcome_title = ((snapshot.get("record") or {}).get("title")) or case.record_title
        page.reason = case.reason
        page.result_type = case.result_type_label
        page.route = route_view(snapshot.get("route"))
        page.figures = figure_rows(snapshot.get("figures"))
        page.outcome_label = outcome_label(case.playbook, case.outcome)
        return page

    try:
        proposal = case_propose(case=case)
    except CaseError as exc:
        page.proposal_error = exc.message
        return page
    page.proposal = proposal
    page.fingerprint = proposal_fingerprint(proposal)
    page.outcome = proposal.outcome
    page.outcome_title = proposal.record.title if proposal.record else ""
    page.reason = proposal.reason
    page.result_type = str(_result_label(proposal.result_type))
    page.proposed_steps = _step_rows_from_proposal(proposal)
    page.previews = case_message_previews(case=case, proposal=proposal)
    page.escalation_preview = proposal.escalation
    page.route = route_view(proposal.route)
    page.figures = figure_rows(proposal.figures)
    page.outcome_label = outcome_label(case.playbook, proposal.outcome)
    return page


def _result_label(code: str | None) -> str:
    from cases.playbooks.base import RESULT_TYPES

    return RESULT_TYPES.get(code or "", "")
