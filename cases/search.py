"""Search and reference history (issue 14.1, 14.2): reads, already scoped to the user who asks.

One search box answers every reference an agent is given on the phone or in a post: a case
number, a full or last-4 phone number, a call ID, a TID, a payment ID, a driver ID, a car
number, a lot or station name, 출발지, and free Korean text in 제목 / 문의내용 / 처리내용.
:func:`search_condition` reads the term once and builds one ``Q`` of only the lookups that can
match it, each of which an index serves:

- exact references (call ID, TID, payment ID, driver ID) and the case number: btree indexes;
- a phone: its last four digits through ``customer_phone_last4`` plus equality on the full
  digits (the customer), the driver's phone through its own index (migration 0010);
- text (two characters or more): ``icontains``, which on PostgreSQL is
  ``UPPER(column) LIKE UPPER('%term%')`` and uses the trigram GIN indexes of migration 0010
  (built on those very expressions); on SQLite the same lookup is a plain ``LIKE``.

The case rows come from :func:`cases.selectors.case_list_visible_to`: an agent finds only the
cases they may see. A results page is one query for the rows (plus the user's roles and
services, cached per request), whatever the number of matches.

:func:`case_reference_history` is the case page's "같은 고객·참조의 다른 케이스" panel: the
other cases sharing the customer's phone, the driver, the call ID, the TID or the car number, in
one query, each row saying which references it shares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Upper

from cases.models import Case
from templates_app.phones import is_korean_phone, phone_digits

#: Longest term the box accepts (a title fragment, never a document).
MAX_TERM = 100
#: Shortest term searched inside free text: one character would match most of the table.
MIN_TEXT = 2
#: Free-text columns (``icontains``), each with its own trigram index on PostgreSQL.
TEXT_FIELDS = ("record_title", "record_inquiry", "record_notes", "lot", "station")
#: Facts searched as text: 차량번호 (주차) and 출발지 (대리), trigram-indexed by their key.
FACT_TEXT_KEYS = ("car_number", "origin")
#: Exact reference columns (btree indexes): what a partner's screen or a post quotes.
EXACT_FIELDS = ("call_id", "charge_tid", "parking_payment_id", "driver_id")

_CASE_NUMBER = re.compile(r"^#?(\d{1,10})$")
_PG_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class SearchTerm:
    """A term as typed, read once: which kinds of reference it can be."""

    text: str
    case_id: int | None = None
    phone: str = ""  # the normalized digits of a full phone number
    last4: str = ""

    @property
    def is_phone(self) -> bool:
        return bool(self.phone)


def read_term(raw: str | None) -> SearchTerm:
    """``raw`` trimmed (inner whitespace collapsed, at most :data:`MAX_TERM` characters) and
    classified: a case number (``5``, ``#5``), a full phone (any of the ways people write one),
    four digits (the last four of a phone)."""
    text = " ".join(str(raw or "").split())[:MAX_TERM]
    case_id = None
    match = _CASE_NUMBER.match(text)
    if match and 0 < int(match.group(1)) <= _PG_INT_MAX:
        case_id = int(match.group(1))
    digits = phone_digits(text)
    phone = digits if digits and len(digits) >= 9 and is_korean_phone(digits) else ""
    last4 = text if len(text) == 4 and text.isascii() and text.isdigit() else ""
    return SearchTerm(text=text, case_id=case_id, phone=phone, last4=last4)


def search_condition(term: SearchTerm) -> Q | None:
    """The ``Q`` that finds ``term`` in every field it can be, or None for an empty term.

    A full phone number is compared only with the phone columns: it is personal data, and
    looking for it in free text would make the search a way around the masking of notes.
    """
    if not term.text:
        return None
    if term.is_phone:
        return Q(customer_phone_last4=term.phone[-4:], customer_phone=term.phone) | Q(
            driver_phone=term.phone
        )
    condition = Q()
    for name in EXACT_FIELDS:
        condition |= Q(**{name: term.text})
    if term.case_id is not None:
        condition |= Q(pk=term.case_id)
    if term.last4:
        # Four digits are the end of a phone or of a car number (차량번호 뒷자리), not words:
        # looked for in the long texts too, '%0000%' made PostgreSQL recheck most of the table
        # through the trigram index (1.4 s at 100k cases, bench/search_plan.py).
        return (
            condition
            | Q(customer_phone_last4=term.last4)
            | Q(facts__car_number__icontains=term.last4)
        )
    if len(term.text) >= MIN_TEXT:
        for name in TEXT_FIELDS:
            condition |= Q(**{f"{name}__icontains": term.text})
        for key in FACT_TEXT_KEYS:
            condition |= Q(**{f"facts__{key}__icontains": term.text})
    return condition


def case_search(*, user, term: SearchTerm) -> QuerySet[Case]:
    """The cases ``user`` may see that match ``term``, newest first (none for an empty term).

    One query for a page of rows: the visibility scope and the match are one WHERE clause, the
    list's relations joined. A phone or four digits pick a few rows by an index, so an agent's
    work permission is one probe per row (``case_few_visible_to``); testing them against every
    case a busy agent ever held (``case_list_visible_to``) took about a second at a million
    cases. Free text matches many rows, where the list form is the fast one (README
    "Performance", round 5)."""
    from cases.selectors import case_few_visible_to, case_list_visible_to

    condition = search_condition(term)
    if condition is None:
        return Case.objects.none()
    scope = case_few_visible_to if (term.is_phone or term.last4) else case_list_visible_to
    return scope(user=user).filter(condition).order_by("-created_at", "-pk")


# --- reference history (the case page) ------------------------------------------------------

#: What two cases can share, in the order the panel names it.
SHARED_LABELS = {
    "customer": "같은 고객 전화번호",
    "driver": "같은 기사",
    "call_id": "같은 콜 ID",
    "charge_tid": "같은 TID",
    "car_number": "같은 차량번호",
}
HISTORY_LIMIT = 20


def _car_number(case: Case) -> str:
    facts = case.facts if isinstance(case.facts, dict) else {}
    return str(facts.get("car_number") or "").strip()


def reference_condition(case: Case) -> Q | None:
    """Cases sharing a reference with ``case`` (each branch an indexed lookup), or None when
    ``case`` has none of them."""
    condition = Q()
    found = False
    if case.customer_phone:
        condition |= Q(
            customer_phone_last4=case.customer_phone_last4, customer_phone=case.customer_phone
        )
        found = True
    for name in ("driver_id", "call_id", "charge_tid"):
        value = getattr(case, name)
        if value:
            condition |= Q(**{name: value})
            found = True
    car = _car_number(case)
    if car:
        # The same expression as the trigram index (UPPER(facts ->> 'car_number')): equality
        # is served by gin_trgm_ops on PostgreSQL 14 and later.
        condition |= Q(car_upper=car.upper())
        found = True
    return condition if found else None


def shared_references(case: Case, other: Case) -> list[str]:
    """The Korean names of what ``other`` shares with ``case``."""
    shared = []
    if case.customer_phone and other.customer_phone == case.customer_phone:
        shared.append(SHARED_LABELS["customer"])
    if case.driver_id and other.driver_id == case.driver_id:
        shared.append(SHARED_LABELS["driver"])
    for name in ("call_id", "charge_tid"):
        if getattr(case, name) and getattr(other, name) == getattr(case, name):
            shared.append(SHARED_LABELS[name])
    car = _car_number(case)
    if car and _car_number(other).upper() == car.upper():
        shared.append(SHARED_LABELS["car_number"])
    return shared


@dataclass(frozen=True)
class HistoryRow:
    """One other case of the same customer or reference, as the case page lists it."""

    case: Case
    shared: tuple[str, ...]
    outcome_label: str
    at: datetime

    @property
    def phone_masked(self) -> str:
        return self.case.masked_customer_phone


def reference_history_queryset(*, user, case: Case, limit: int = HISTORY_LIMIT):
    """The rows of :func:`case_reference_history` as one queryset (None when ``case`` carries
    no reference): what the page runs and what ``bench/search_plan.py`` explains."""
    from cases.selectors import case_few_visible_to

    condition = reference_condition(case)
    if condition is None:
        return None
    return (
        case_few_visible_to(user=user)
        .alias(car_upper=Upper(KeyTextTransform("car_number", "facts")))
        .filter(condition)
        .exclude(pk=case.pk)
        .order_by("-created_at", "-pk")[:limit]
    )


def case_reference_history(*, user, case: Case, limit: int = HISTORY_LIMIT) -> list[HistoryRow]:
    """The other cases ``user`` may see that share the customer's phone, the driver, the call
    ID, the TID or the car number with ``case``, newest first: one query (the user's roles and
    services are cached per request). Outcomes are Korean labels; phones stay masked (the
    template shows ``masked_customer_phone`` only)."""
    from cases.timeline import outcome_label

    rows = reference_history_queryset(user=user, case=case, limit=limit)
    if rows is None:
        return []
    return [
        HistoryRow(
            case=other,
            shared=tuple(shared_references(case, other)),
            outcome_label=outcome_label(other.playbook, other.outcome) or "-",
            at=other.created_at,
        )
        for other in rows
    ]


# --- related cases (the case page) ----------------------------------------------------------


@dataclass(frozen=True)
class RelatedRow:
    """One case related to the page's case: a link either way, or intake's duplicate mark."""

    case_id: int
    kind_label: str
    direction: str  # "out": made on this case; "in": made on the other; "intake": duplicate_of
    visible: bool  # the user may open it (else only its number shows)
    status_label: str = ""
    by: str = ""
    at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Suggestion:
    """A link (or merge) the page offers: what intake's duplicate guard or a shared reference
    says, one click away."""

    case_id: int
    kind: str  # a LinkKind value, or "merge_into" / "merge_here"
    label: str


@dataclass
class RelatedPanel:
    history: list[HistoryRow]
    links: list[RelatedRow]
    merged_into: int | None
    suggestions: list[Suggestion]


def case_related_panel(*, user, case: Case) -> RelatedPanel:
    """Everything the case page's "관련 케이스" panel shows, in four queries whatever the number
    of rows: the reference history, the links either way, intake's duplicate marks (this case's
    original and the posts that repeated it), and which of the linked cases the user may see."""
    from cases.models import CaseLink, LinkKind, Status
    from cases.selectors import case_few_visible_to
    from cases.timeline import person

    history = case_reference_history(user=user, case=case)
    links = list(
        CaseLink.objects.filter(Q(case=case) | Q(other=case))
        .select_related("case", "other", "created_by")
        .order_by("created_at", "pk")
    )
    intake_marks = list(
        Case.objects.filter(Q(duplicate_of=case) | Q(pk=case.duplicate_of_id or 0))
        .exclude(pk=case.pk)
        .only("pk", "status", "playbook", "duplicate_of_id")
    )
    related_ids = {link.other_id if link.case_id == case.pk else link.case_id for link in links}
    related_ids |= {row.pk for row in intake_marks}
    visible = set(
        case_few_visible_to(user=user).filter(pk__in=related_ids).values_list("pk", flat=True)
        if related_ids
        else ()
    )
    rows: list[RelatedRow] = []
    merged_into = None
    linked_pairs: set[tuple[int, str]] = set()
    merged_here: set[int] = set()
    for link in links:
        mine = link.case_id == case.pk
        other = link.other if mine else link.case
        label = str(link.get_kind_display())
        if link.kind == LinkKind.MERGED:
            label = "이 케이스가 병합된 원건" if mine else "이 케이스로 병합된 중복 건"
            if mine:
                merged_into = other.pk
            else:
                merged_here.add(other.pk)
        linked_pairs.add((other.pk, link.kind))
        rows.append(
            RelatedRow(
                case_id=other.pk,
                kind_label=label,
                direction="out" if mine else "in",
                visible=other.pk in visible,
                status_label=str(other.get_status_display()),
                by=person(link.created_by),
                at=link.created_at,
                note=link.note,
            )
        )
    linked_ids = {pk for pk, _kind in linked_pairs}
    suggestions: list[Suggestion] = []
    for mark in intake_marks:
        original = mark.pk == case.duplicate_of_id
        rows.append(
            RelatedRow(
                case_id=mark.pk,
                kind_label="중복 접수 원건 (접수 시 확인)"
                if original
                else "중복 접수된 건 (접수 시 확인)",
                direction="intake",
                visible=mark.pk in visible,
                status_label=str(mark.get_status_display()),
            )
        )
        if mark.pk not in visible or mark.pk in merged_here or mark.pk == merged_into:
            continue
        if (mark.pk, LinkKind.DUPLICATE) not in linked_pairs:
            suggestions.append(
                Suggestion(mark.pk, LinkKind.DUPLICATE, f"'중복 접수'로 #{mark.pk} 연결")
            )
        if original and merged_into is None and case.status != Status.CLOSED:
            suggestions.append(Suggestion(mark.pk, "merge_into", f"원건 #{mark.pk}에 병합"))
        elif not original and mark.status != Status.CLOSED:
            suggestions.append(Suggestion(mark.pk, "merge_here", f"이 케이스로 #{mark.pk} 병합"))
    for row in history:
        other = row.case
        for field, kind in (("call_id", LinkKind.SAME_CALL), ("charge_tid", LinkKind.SAME_TID)):
            value = getattr(case, field)
            if value and getattr(other, field) == value and other.pk not in linked_ids:
                suggestions.append(
                    Suggestion(other.pk, kind, f"'{LinkKind(kind).label}'로 #{other.pk} 연결")
                )
    return RelatedPanel(
        history=history, links=rows, merged_into=merged_into, suggestions=suggestions
    )
