"""Related cases (issue 14.3): link two cases, merge a duplicate into its original.

- :func:`case_link` records that two cases belong together (같은 TID, 같은 콜 ID, 후속 문의,
  중복 접수). A "same TID / same call ID" link is refused when the two cases do not carry the
  same reference: the link says something checkable, not an opinion.
- :func:`case_merge` folds a duplicate into the original: the duplicate keeps every row it has
  (steps, messages, posts, its history), is closed with the reason "병합" in its history and
  points to the original through a :attr:`LinkKind.MERGED` link; its step clocks stop and its
  unsent drafts stay unsent, as for any closed case. The original's timeline shows the merge.
  Cases of different playbooks are never merged (their facts, outcomes and steps mean
  different things): refused with the two playbooks named.

Both write the acting user on the history rows in one transaction, and ask
``kmcs_site.permissions.user_can`` for both cases (an agent links only cases they may work to
cases they may see). Refusals raise :class:`cases.exceptions.CaseError` with a Korean message
and change nothing.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from cases.exceptions import CaseError, FactsInvalid, InvalidTransition
from cases.models import Case, CaseLink, ClockStop, LinkKind, Status
from cases.services._common import audited_save, lock_case, mirror, moment, require


class RelationRefused(CaseError):
    default_message = "케이스를 연결할 수 없습니다."


class MergeRefused(CaseError):
    default_message = "케이스를 병합할 수 없습니다."


#: Kinds a person chooses on the case page (MERGED is written by case_merge only).
LINK_KINDS = (LinkKind.SAME_TID, LinkKind.SAME_CALL, LinkKind.FOLLOW_UP, LinkKind.DUPLICATE)
#: The reference a kind asserts: both cases must carry the same non-empty value.
KIND_REFERENCE = {
    LinkKind.SAME_TID: ("charge_tid", "TID"),
    LinkKind.SAME_CALL: ("call_id", "콜 ID"),
}


def merged_into(case: Case) -> Case | None:
    """The original ``case`` was merged into, if it was (one query)."""
    link = CaseLink.objects.filter(case=case, kind=LinkKind.MERGED).select_related("other").first()
    return link.other if link is not None else None


def _check_pair(case: Case, other: Case) -> None:
    if other is None or case.pk == other.pk:
        raise RelationRefused("같은 케이스끼리는 연결할 수 없습니다.")


def _require_pair(actor, action: str, case: Case, other: Case, verb: str) -> None:
    require(actor, action, case, message=f"이 케이스를 {verb}할 권한이 없습니다.")
    require(
        actor,
        "cases.case.view",
        other,
        message=f"케이스 #{other.pk}를 볼 수 없어 {verb}할 수 없습니다.",
    )


@transaction.atomic
def case_link(*, case: Case, other: Case, kind: str, actor, note: str = "", at=None) -> CaseLink:
    """Link ``case`` to ``other`` as ``kind`` (one of :data:`LINK_KINDS`); the link is made on
    ``case`` (the newer inquiry, the follow-up) and points to ``other``."""
    _check_pair(case, other)
    if kind not in LINK_KINDS:
        raise FactsInvalid(
            {"kind": ["연결 종류를 선택해 주세요 (같은 TID, 같은 콜 ID, 후속 문의, 중복 접수)."]}
        )
    _require_pair(actor, "cases.case.link", case, other, "연결")
    if kind in KIND_REFERENCE:
        field, label = KIND_REFERENCE[kind]
        mine, theirs = getattr(case, field), getattr(other, field)
        if not mine or mine != theirs:
            raise RelationRefused(
                f"두 케이스의 {label}가 같지 않아 '{LinkKind(kind).label}'(으)로 연결할 수 "
                f"없습니다 (#{case.pk}: {mine or '없음'}, #{other.pk}: {theirs or '없음'})."
            )
    existing = CaseLink.objects.filter(
        kind=kind, case__in=(case.pk, other.pk), other__in=(case.pk, other.pk)
    ).first()
    if existing is not None:
        raise RelationRefused(
            f"케이스 #{case.pk}와 #{other.pk}는 이미 '{existing.get_kind_display()}'(으)로 "
            "연결되어 있습니다."
        )
    link = CaseLink(
        case=case,
        other=other,
        kind=kind,
        note=(note or "").strip()[:300],
        created_by=actor,
        created_at=moment(at),
    )
    try:
        with transaction.atomic():
            audited_save(link, actor, reason=f"케이스 연결: {LinkKind(kind).label}")
    except IntegrityError as exc:  # the same link made by someone else a moment ago
        raise RelationRefused("이미 같은 관계로 연결된 케이스입니다.") from exc
    return link


@transaction.atomic
def case_merge(*, duplicate: Case, original: Case, actor, reason: str = "", at=None) -> Case:
    """Merge ``duplicate`` into ``original``: the duplicate is closed and points to the
    original (a MERGED link); both keep their history. Returns the closed duplicate.

    Refused (nothing changed): the same case; different playbooks; a duplicate already closed
    or already merged; an original that was itself merged (merge into where it went instead).
    The merge closes without the record rules of an ordinary close (consultation type, Agit
    post, steps): a merged duplicate is not a consultation of its own, its original is.
    """
    _check_pair(duplicate, original)
    at = moment(at)
    # Lock in primary-key order: two people merging the same pair the other way round wait
    # for each other instead of deadlocking.
    first, second = sorted((duplicate, original), key=lambda c: c.pk)
    locked = {first.pk: lock_case(first), second.pk: lock_case(second)}
    dup, orig = locked[duplicate.pk], locked[original.pk]
    _require_pair(actor, "cases.case.merge", dup, orig, "병합")
    if dup.playbook != orig.playbook:
        raise MergeRefused(
            "플레이북이 다른 케이스는 병합할 수 없습니다: "
            f"#{dup.pk} {dup.get_playbook_display()} / #{orig.pk} {orig.get_playbook_display()}. "
            "같은 고객의 다른 문의라면 '후속 문의'로 연결해 주세요."
        )
    if dup.status == Status.CLOSED:
        raise InvalidTransition(
            f"케이스 #{dup.pk}는 이미 종결되어 병합할 수 없습니다. '중복 접수'로 연결해 주세요."
        )
    target = merged_into(orig)
    if target is not None:
        raise MergeRefused(
            f"원건 #{orig.pk}는 이미 케이스 #{target.pk}로 병합되었습니다. #{target.pk}로 "
            "병합해 주세요."
        )
    if merged_into(dup) is not None:
        raise MergeRefused(f"케이스 #{dup.pk}는 이미 다른 케이스로 병합되었습니다.")
    note = (reason or "").strip()
    dup.status = Status.CLOSED
    dup.waiting_on = ""
    dup.closed_at = at
    history_reason = f"병합: 케이스 #{orig.pk}로 병합" + (f" ({note})" if note else "")
    audited_save(dup, actor, reason=history_reason[:100], validate_constraints=False)
    link = CaseLink(
        case=dup,
        other=orig,
        kind=LinkKind.MERGED,
        note=note[:300],
        created_by=actor,
        created_at=at,
    )
    audited_save(link, actor, reason=f"병합: #{dup.pk} → #{orig.pk}")
    from cases.services.clocks import clocks_stop_all

    clocks_stop_all(case=dup, actor=actor, at=at, reason=ClockStop.CASE_CLOSED)
    return mirror(duplicate, dup)
