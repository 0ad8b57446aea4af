"""A case's audit history for the auditor's case page (a selector): every audited change of the
case and of the rows that belong to it, plus the unmasking log, with the values written as the
all-models history writes them (kmcs_site.history). ``cases.selectors`` re-exports it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db.models import (
    OuterRef,
    Subquery,
)
from django.http import Http404

from cases.models import (
    Case,
    CaseStep,
    ContactAttempt,
    EscalationPost,
    UnmaskLog,
)
from kmcs_site.permissions import user_can

# --- history (auditor views) --------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    """One audited change of a case or of a row that belongs to it."""

    at: datetime
    user: Any  # the acting user (None: the system, e.g. a data migration)
    model: str  # "case" | "casestep" | "escalationpost" | "contactattempt" | "unmasklog"
    object_id: int
    object_label: str
    change_type: str  # "+" created, "~" changed, "-" deleted, "unmask"
    reason: str = ""
    changes: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)  # (label, old, new)


def _raw_changes(record, previous) -> tuple:
    """(model field, name, before, after) of one version against the one before it."""
    delta = record.diff_against(previous)
    meta = record.instance_type._meta
    return tuple((meta.get_field(c.field), c.field, c.old, c.new) for c in delta.changes)


def _formatted(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """Values as the auditor reads them, with the same rules as the all-models history
    (choice labels, Seoul times, masked phones, usernames for user references): one query for
    the usernames a page mentions."""
    from kmcs_site.history import display_value, is_user_fk, user_labels_for

    users = user_labels_for(
        (f, old, new) for entry in entries for f, _name, old, new in entry.changes
    )

    def shown(model_field, name, value):
        # Ask "is this a user reference?" first: other values may be JSON (the proposal's
        # dict, a list), which cannot be looked up in a dict (issue 12: TypeError -> 500).
        if value is not None and is_user_fk(model_field) and value in users:
            return f"{users[value]} (#{value})"
        return display_value(model_field, name, value)

    return [
        replace(
            entry,
            changes=tuple(
                (str(f.verbose_name), shown(f, name, old), shown(f, name, new))
                for f, name, old, new in entry.changes
            ),
        )
        for entry in entries
    ]


def _entries_for(history_qs, model_name: str, label_of) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    previous: dict[int, Any] = {}
    for record in history_qs.order_by("history_date", "history_id"):
        entries.append(_history_entry(record, previous.get(record.id), model_name, label_of))
        previous[record.id] = record
    return entries


def _history_entry(record, previous, model_name: str, label_of) -> HistoryEntry:
    changes: tuple = ()
    if previous is not None:
        changes = _raw_changes(record, previous)
    return HistoryEntry(
        at=record.history_date,
        user=record.history_user,
        model=model_name,
        object_id=record.id,
        object_label=label_of(record),
        change_type=record.history_type,
        reason=record.history_change_reason or "",
        changes=changes,
    )


def _newest_entries(history_qs, limit: int, model_name: str, label_of) -> list[HistoryEntry]:
    """The ``limit`` newest rows of ``history_qs`` as entries, each diffed against the version
    of its object just before it: two queries whatever the number of versions.

    The first reads the rows with the id of each one's previous version (a correlated
    subquery: one index probe per row, ``(id, history_date, history_id)``); the second reads
    the previous versions that are not on the page themselves.
    """
    model = history_qs.model
    previous_id = Subquery(
        # "Before" in (history_date, history_id) order, written so that the index's range
        # condition is ``history_date <= ...`` (an OR of the two would make PostgreSQL read
        # every version of the object for each row).
        model.objects.filter(id=OuterRef("id"), history_date__lte=OuterRef("history_date"))
        .exclude(history_date=OuterRef("history_date"), history_id__gte=OuterRef("history_id"))
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    rows = list(
        history_qs.select_related("history_user")
        .annotate(previous_history_id=previous_id)
        .order_by("-history_date", "-history_id")[:limit]
    )
    by_id = {row.history_id: row for row in rows}
    missing = {
        row.previous_history_id
        for row in rows
        if row.previous_history_id is not None and row.previous_history_id not in by_id
    }
    if missing:
        by_id.update({row.history_id: row for row in model.objects.filter(history_id__in=missing)})
    return [
        _history_entry(row, by_id.get(row.previous_history_id), model_name, label_of)
        for row in rows
    ]


def _case_history_sources(case_id: int):
    """(history queryset, model name, row label) of each audited table that belongs to a case."""
    return (
        (Case.history.filter(id=case_id), "case", lambda r: f"케이스 #{r.id}"),
        (
            CaseStep.history.filter(case_id=case_id),
            "casestep",
            lambda r: f"단계 {r.order}. {r.label}",
        ),
        (
            EscalationPost.history.filter(case_id=case_id),
            "escalationpost",
            lambda r: f"아지트 글 ({r.board})",
        ),
        (
            ContactAttempt.history.filter(case_id=case_id),
            "contactattempt",
            lambda r: f"OB 기록 ({r.get_target_display()} {r.get_result_display()})",
        ),
    )


def _unmask_entry(log: UnmaskLog) -> HistoryEntry:
    return HistoryEntry(
        at=log.at,
        user=log.by,
        model="unmasklog",
        object_id=log.pk,
        object_label=f"전화번호 조회 ({log.field})",
        change_type="unmask",
        reason=log.reason,
    )


def case_history_case(*, user, case_id) -> Case:
    """The case whose history ``user`` may read, or Http404 (no hint that it exists)."""
    return _history_case(user, case_id)


def _history_case(user, case_id) -> Case:
    """:func:`case_history_case`."""
    from cases.selectors import _visible_cases  # the one visibility rule of the case lists

    if not user_can(user, "audit.history.read"):
        raise Http404("케이스를 찾을 수 없습니다.")
    try:
        return _visible_cases(user, one_case=True).get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("케이스를 찾을 수 없습니다.") from None


def case_history_page(
    *, user, case_id=None, case: Case | None = None, number: int = 1, per_page: int = 50
):
    """Page ``number`` of everything that happened to a case, newest first (a ``PeekPage``).

    The same entries as :func:`case_history_for`, but a bounded amount of work: each audited
    source reads only its ``number * per_page + 1`` newest rows (and their previous versions
    for the before/after values), so a case with 10,000 versions costs what a case with 100
    does. A fixed number of queries: the case, two per history table, the unmasking log.
    ``case``: the case :func:`case_history_case` already returned for ``user`` (the auditor's
    page reads it once for the history and the timeline); otherwise ``case_id`` is checked here.
    """
    from kmcs_site.pagination import MAX_PAGE, PeekPage

    if case is None:
        case = _history_case(user, case_id)
    # The views pass a checked number; clamp anyway so no OFFSET overflows the database.
    number = min(max(int(number), 1), MAX_PAGE)
    offset = (number - 1) * per_page
    limit = offset + per_page + 1
    entries: list[HistoryEntry] = []
    for history_qs, model_name, label_of in _case_history_sources(case.pk):
        entries += _newest_entries(history_qs, limit, model_name, label_of)
    logs = UnmaskLog.objects.filter(case_id=case.pk).select_related("by").order_by("-at", "-pk")
    entries += [_unmask_entry(log) for log in logs[:limit]]
    entries.sort(key=lambda e: (e.at, e.model, e.object_id), reverse=True)
    rows = entries[offset:limit]
    return PeekPage(
        object_list=_formatted(rows[:per_page]), number=number, has_next=len(rows) > per_page
    )


def case_history_for(*, user, case_id) -> list[HistoryEntry]:
    """Everything that happened to a case, in time order, for the auditor's history view.

    Requires ``audit.history.read`` (auditors, leads, managers) and a case ``user`` may see;
    otherwise Http404. Phones are masked in the changes. A fixed number of queries: one per
    audited model, whatever the number of rows.
    """
    case = _history_case(user, case_id)
    entries: list[HistoryEntry] = []
    for history_qs, model_name, label_of in _case_history_sources(case.pk):
        entries += _entries_for(history_qs.select_related("history_user"), model_name, label_of)
    entries += [
        _unmask_entry(log) for log in UnmaskLog.objects.filter(case_id=case.pk).select_related("by")
    ]
    entries.sort(key=lambda e: (e.at, e.model, e.object_id))
    return _formatted(entries)
