"""A case's story, in time order, in Korean: the timeline selector.

One list for the auditor's case page (``/audit/cases/<id>/``) and the agent's case log (the
workspace case page): intake, assignment, status moves, the decision, fact revisions (before ->
after, the proposal's outcome before -> after), step ticks, clocks (start, pause, resume, stop,
overdue), messages (queued, sent, failed, sent by hand; template and masked recipient), Agit
posts and OB attempts, phone unmasking. Names, never ids: users by full name or username,
outcomes by their Korean label.

Read from the audit records the services already write (simple-history rows of the case, its
steps, clocks, posts and messages) plus the revision, OB and unmask tables: a fixed number of
queries (one per source) whatever the number of events. Each source reads only its newest
``limit + 1`` rows, so a case with 10,000 versions costs what a case with 100 does; the page
then says that older events were left out.

"Overdue" is computed from the due time at read (a running, unpaused clock past its due time,
or a clock stopped after it): it does not wait for the overdue job to have marked the clock.

A selector: it lives next to ``cases/selectors.py`` (which re-exports it) in its own module, as
that module is shared with the history readers. The readers, one per source, are in
``cases.timeline_sources``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from cases.labels import WON_FACTS, fact_label, format_fact
from cases.models import (
    Case,
    FactRevision,
)

SYSTEM = "시스템"
DEFAULT_LIMIT = 200

#: Event kinds (CSS class and filter) with their Korean names.
KINDS = {
    "case": "케이스",
    "decision": "결정",
    "revision": "사실관계 수정",
    "step": "처리 단계",
    "clock": "기한",
    "message": "문자",
    "post": "아지트",
    "email": "메일",
    "contact": "OB",
    "unmask": "전화번호 조회",
    "link": "관련 케이스",
    "attachment": "첨부파일",
}


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str
    label: str
    actor: str = ""
    detail: str = ""
    #: (항목, 이전, 이후) rows: a fact revision's changed facts.
    changes: tuple[tuple[str, str, str], ...] = ()
    #: Tie-break inside one instant: the order the sources were written in a transaction.
    seq: int = 0
    #: An attachment event's file: (case id, attachment id, is an image: has a preview).
    attachment: tuple[int, int, bool] | None = None

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass
class Timeline:
    events: list[TimelineEvent] = field(default_factory=list)
    #: True when older events were left out (a source had more than ``limit`` rows).
    truncated: bool = False


# --- display helpers ------------------------------------------------------------------------


def person(user) -> str:
    """A user as people read them: full name, else username; the system when nobody acted."""
    if user is None:
        return SYSTEM
    full = (user.get_full_name() or "").strip()
    return full or user.get_username()


def outcome_label(playbook: str, code: str | None) -> str:
    """The Korean label of an outcome code (the playbook's ``OUTCOMES``)."""
    if not code:
        return ""
    try:
        from cases.labels import outcome_label as shared_label
    except ImportError:  # pragma: no cover - the shared label module is optional here
        shared_label = None
    if shared_label is not None:
        return shared_label(playbook, code)
    from collections.abc import Mapping

    from cases.playbooks import get_playbook

    try:
        declared = getattr(get_playbook(playbook), "OUTCOMES", None) or {}
    except LookupError:
        declared = {}
    if isinstance(declared, Mapping) and code in declared:
        return str(declared[code])
    return "검토 필요" if code == "needs_review" else code


def _masked(text: str) -> str:
    from kmcs_site.history import mask_text

    return mask_text(text or "")


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def fact_value(field, value: Any) -> str:
    """A fact as the case page shows it: choice labels, 예/아니오, Seoul times, masked phones."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "예" if value else "아니오"
    choices = getattr(field, "choices", None)
    if choices and isinstance(value, str) and value in choices:
        return str(choices[value])
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            return _when(datetime.fromisoformat(value))
        except ValueError:
            pass
    if isinstance(value, (list, dict)):
        import json

        return _masked(json.dumps(value, ensure_ascii=False))
    name = getattr(field, "field_name", "") or ""
    if "account" in name:
        return "(비공개)"
    if name in WON_FACTS:
        return format_fact(name, value)
    return _masked(str(value))


def revision_changes(playbook: str, revision: FactRevision) -> tuple[tuple[str, str, str], ...]:
    """(Korean fact label, before, after) of each fact a revision changed."""
    from cases.playbooks import get_playbook
    from cases.services.intake_prepare import facts_serializer

    try:
        # The per-thread FACTS instance: a fresh one deep-copies every field (DRF) per call.
        fields = facts_serializer(get_playbook(playbook)).fields
    except LookupError:
        fields = {}
    rows = []
    for name in revision.changed or ():
        f = fields.get(name)
        label = fact_label(name, f)
        if f is None:  # a fact FACTS no longer names: format it by its name alone
            f = SimpleNamespace(field_name=name)
        rows.append(
            (
                label,
                fact_value(f, (revision.facts_before or {}).get(name)),
                fact_value(f, (revision.facts_after or {}).get(name)),
            )
        )
    return tuple(rows)


def case_timeline(*, case: Case, limit: int = DEFAULT_LIMIT, now=None) -> Timeline:
    """The story of ``case`` (already fetched through a scoped selector), oldest first: the
    newest ``limit`` events. A fixed number of queries (about ten) whatever the case's size."""
    from cases import timeline_sources as sources  # the readers import this module's events

    now = now or timezone.now()
    events: list[TimelineEvent] = []
    truncated = False
    for source in (
        lambda: sources.case_events(case, limit),
        lambda: sources.revision_events(case, limit),
        lambda: sources.step_events(case, limit),
        lambda: sources.clock_events(case, limit, now),
        lambda: sources.message_events(case, limit),
        lambda: sources.post_events(case, limit),
        lambda: sources.email_events(case, limit),
        lambda: sources.contact_events(case, limit),
        lambda: sources.unmask_events(case, limit),
        lambda: sources.link_events(case, limit),
        lambda: sources.attachment_events(case, limit),
    ):
        found, more = source()
        events += found
        truncated = truncated or more
    order = {kind: index for index, kind in enumerate(KINDS)}
    events.sort(key=lambda e: (e.at, order.get(e.kind, 99), e.seq))
    if len(events) > limit:
        events = events[-limit:]
        truncated = True
    return Timeline(events=events, truncated=truncated)
