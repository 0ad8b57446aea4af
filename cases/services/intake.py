"""Intake: one inquiry becomes one case (or finds the case it duplicates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from cases.business_keys import REFERENCE_FIELDS
from cases.exceptions import FactsInvalid
from cases.intake.bulk import insert_if_new_with_history, values_of
from cases.models import Case
from cases.selectors import case_intake_lookup, case_open_duplicate
from cases.services._common import moment, require

from .intake_batch_results import (
    BATCH_REASON,
    BatchItemResult,
    BatchStatus,
    _duplicate,
    _existing,
    _key_reused,
    batch_item_invalid,
)
from .intake_prepare import (  # noqa: F401
    _FACTS,
    CHANNELS,
    FROM_THE_REQUEST,
    NOT_FROM_THE_REQUEST,
    CaseCreateResult,
    PreparedCase,
    _phone,
    _validated_facts,
    case_prepare,
    case_propose_at_intake,
    facts_serializer,
    playbook_module,
)

#: What a request files: a retry with the same idempotency key must bring the same values.
FILED_FIELDS = (
    "playbook",
    "channel",
    "facts",
    "customer_phone",
    "driver_id",
    "driver_phone",
    *REFERENCE_FIELDS,
)


def same_request(existing: Case, candidate: Case) -> bool:
    """Whether ``candidate`` (prepared, unsaved) files what ``existing`` was filed with.

    Compared with the case's first history row (what intake wrote), not the case as it is now:
    agents may have edited it since, and a retry of the original request is still a retry."""
    filed = (
        existing.history.filter(history_type="+").order_by("history_date", "history_id").first()
        or existing
    )
    return _same_values(filed, candidate)


#: Facts intake itself adds to a post it answers as a duplicate (:func:`_duplicate_facts`).
DUPLICATE_FACTS = ("has_open_duplicate", "duplicate_received_on", "duplicate_ref")


def _same_values(filed, candidate: Case) -> bool:
    """``filed`` (a case, its first history row or a prepared case) holds what ``candidate``
    would file. A post answered as a duplicate was filed with the duplicate facts intake
    added; its retry carries the post's own facts, so those are not compared."""
    answered = getattr(filed, "duplicate_of_id", None) is not None
    for name in FILED_FIELDS:
        mine, theirs = getattr(filed, name), getattr(candidate, name)
        if name == "facts" and answered and isinstance(mine, dict) and isinstance(theirs, dict):
            mine = {k: v for k, v in mine.items() if k not in DUPLICATE_FACTS}
            theirs = {k: v for k, v in theirs.items() if k not in DUPLICATE_FACTS}
        if mine != theirs:
            return False
    return True


def filed_requests(keys: Sequence[str]) -> dict[str, Any]:
    """idempotency key -> what its case was filed with (the case's first "+" history row), in
    one query for a whole batch; a case with no such row answers with itself."""
    if not keys:
        return {}
    found: dict[str, Any] = {}
    rows = Case.history.filter(idempotency_key__in=keys, history_type="+").order_by(
        "history_date", "history_id"
    )
    for row in rows:
        found.setdefault(row.idempotency_key, row)
    missing = [key for key in keys if key not in found]
    if missing:
        found.update(
            {c.idempotency_key: c for c in Case.objects.filter(idempotency_key__in=missing)}
        )
    return found


def _replayed(existing: Case, candidate: Case) -> CaseCreateResult:
    """The case an idempotency key filed, answered to a request carrying that key again."""
    return CaseCreateResult(
        case=existing, created=False, key_reused=not same_request(existing, candidate)
    )


def _insert_or_winner(case: Case, actor, reason: str | None = None) -> CaseCreateResult | None:
    """Save ``case`` (one INSERT and its history row); None when saved. When a concurrent
    request inserted the same idempotency key or open business key first, the partial unique
    constraint refuses this insert and the winner's case is returned instead."""
    case._history_user = actor
    if reason:
        case._change_reason = reason
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        winner = None
        if case.idempotency_key:
            winner = Case.objects.filter(idempotency_key=case.idempotency_key).first()
            if winner is not None:
                return _replayed(winner, case)
        if case.business_key:
            winner = case_open_duplicate(playbook=case.playbook, business_key=case.business_key)
        if winner is None:
            raise
        return CaseCreateResult(case=winner, created=False, duplicate_of=winner)
    return None


#: Playbooks whose seed answers a second inquiry about a request in progress instead of folding
#: it into the first: seed 002 "5. 미운행건 결제취소 - 반려 (중복 접수)" / "상황: 이미 처리 진행 중인
#: 동일 문의가 있는 경우" has its own 처리결과 (반려 (중복 접수)), 상담이력 and SMS.
ANSWERS_DUPLICATES = frozenset({"driver_nonride_cancel"})


def _duplicate_facts(first: Case, facts: Mapping[str, Any]) -> dict:
    """The facts of a post that repeats ``first``: 중복 접수, with the first post's 접수일 (the
    SMS's "현재 0월 0일 동일한 내용으로 접수된 건") and its 상담ID (처리내용 "ㄴ(중복접수 상담ID
    또는, 아지트 링크 기재)") unless the agent gave them."""
    from kmcs_site.business_time import SEOUL

    data = dict(facts)
    data["has_open_duplicate"] = True
    if not data.get("duplicate_received_on"):
        data["duplicate_received_on"] = (
            first.facts.get("received_on") or first.created_at.astimezone(SEOUL).date().isoformat()
        )
    if not data.get("duplicate_ref"):
        data["duplicate_ref"] = f"상담ID #{first.pk}"
    return data


def _file_answered_duplicate(first: Case, prepare_kwargs: dict, *, actor, assignee, at, env):
    """File a post that repeats the open case ``first`` as its own case, linked to ``first``
    and proposed 반려 (중복 접수); decided at once when the actor may decide (the decision
    drafts the SMS at its step, as every decision does: nothing is sent here). It carries no
    business key: the guard is for the case in progress, and a third post links to it too."""
    from cases.services.decisions import case_decide
    from kmcs_site.permissions import user_can

    kwargs = {**prepare_kwargs, "facts": _duplicate_facts(first, prepare_kwargs["facts"])}
    prepared = case_prepare(**kwargs)
    case = prepared.case
    case.business_key = ""
    case.duplicate_of = first
    proposal, proposal_error = case_propose_at_intake(prepared, at=at, env=env)
    lost = _insert_or_winner(case, actor, reason=f"중복 접수: 처리 중인 케이스 #{first.pk}")
    if lost is not None:  # the same idempotency key, filed by a concurrent retry
        return lost
    if assignee is not None:
        from cases.services.workflow import case_assign

        case_assign(case=case, assignee=assignee, actor=actor, at=at)
    if (
        proposal is not None
        and proposal.outcome == "rejected_duplicate"
        and user_can(actor, "cases.case.decide", case)
    ):
        from cases.exceptions import CaseError

        try:
            with transaction.atomic():
                case = case_decide(case=case, actor=actor, at=at, env=env)
        except CaseError:
            # e.g. no driver phone for the SMS yet: the case waits with its proposal and an
            # agent decides it (one click), as any case the playbook decided.
            case.refresh_from_db()
    return CaseCreateResult(
        case=case,
        created=True,
        proposal=proposal,
        proposal_error=proposal_error,
        answered_duplicate_of=first,
    )


def case_create(**kwargs) -> CaseCreateResult:
    """:func:`_case_create` (its docstring says what intake does), in a transaction only where
    it writes more than the case.

    A plain intake's one write is the case and its history row, made atomic by
    ``_insert_or_winner``; an outer transaction around the reads before it only turned that
    into a savepoint (two more round trips per intake, issue 17.5). An intake that also assigns
    the case keeps one transaction around both writes, as before.
    """
    if kwargs.get("assignee") is None:
        return _case_create(**kwargs)
    with transaction.atomic():
        return _case_create(**kwargs)


def _case_create(
    *,
    playbook: str,
    facts: Mapping[str, Any],
    channel: str,
    actor,
    customer_phone: str | None = None,
    driver_id: str | None = None,
    driver_phone: str | None = None,
    references: Mapping[str, Any] | None = None,
    assignee=None,
    idempotency_key: str | None = None,
    at=None,
    refuse_unknown_facts: bool = False,
    env=None,
) -> CaseCreateResult:
    """Validate the facts with the playbook's FACTS and open a case, unless it already exists.

    - invalid input -> :class:`FactsInvalid` with Korean field errors; nothing is created;
    - the same ``idempotency_key`` again -> the case it created (``created`` False);
    - an open case with the same playbook and business key -> that case (``duplicate_of``);
    - two requests racing past the check: the partial unique constraint refuses the second
      insert and it returns the winner's case as well;
    - a new case stores the playbook's proposal at intake (``case.proposal``; a decision
      replaces it with the proposal it was decided under).
    """
    require(actor, "cases.case.intake", message="케이스를 접수할 권한이 없습니다.")
    at = moment(at)
    prepare_kwargs = {
        "playbook": playbook,
        "facts": facts,
        "channel": channel,
        "actor": actor,
        "customer_phone": customer_phone,
        "driver_id": driver_id,
        "driver_phone": driver_phone,
        "references": references,
        "idempotency_key": idempotency_key,
        "at": at,
        "refuse_unknown_facts": refuse_unknown_facts,
    }
    prepared = case_prepare(**prepare_kwargs)
    case = prepared.case
    key = case.business_key

    # Most inquiries are new: write first, and let the unique indexes (idempotency key, open
    # business key) say whether the key is taken. Only then is the existing case looked up.
    proposed = case_propose_at_intake(prepared, at=at, env=env)
    if _insert_if_new(case, actor):
        return _filed(case, proposed, actor=actor, assignee=assignee, at=at)

    by_key, existing = case_intake_lookup(
        idempotency_key=idempotency_key, playbook=playbook, business_key=key
    )
    if by_key is not None:
        return _replayed(by_key, case)

    if key:
        if existing is not None and idempotency_key and existing.idempotency_key == idempotency_key:
            # A concurrent request with the same key committed between the two lookups: the
            # key wins, this is a retry of that request, not a duplicate inquiry.
            return _replayed(existing, case)
        if existing is not None and playbook in ANSWERS_DUPLICATES:
            with transaction.atomic():  # the case, its link and its decision, or none
                return _file_answered_duplicate(
                    existing, prepare_kwargs, actor=actor, assignee=assignee, at=at, env=env
                )
        if existing is not None:
            return CaseCreateResult(case=existing, created=False, duplicate_of=existing)

    # The case that held the key was closed (or its key taken back) between the INSERT and the
    # lookup: nothing holds it now, so file the inquiry, still guarded by the constraint.
    lost = _insert_or_winner(case, actor)
    if lost is not None and lost.duplicate_of is not None and playbook in ANSWERS_DUPLICATES:
        # Two posts raced past the check: the loser is the duplicate of the winner.
        with transaction.atomic():
            return _file_answered_duplicate(
                lost.duplicate_of, prepare_kwargs, actor=actor, assignee=assignee, at=at, env=env
            )
    if lost is not None:
        return lost
    return _filed(case, proposed, actor=actor, assignee=assignee, at=at)


def _insert_if_new(case: Case, actor) -> bool:
    """Write ``case`` and its "+" history row (acting user ``actor``) unless a unique index
    already holds its idempotency key or its open business key; True when written.

    What ``case.save()`` with simple-history would write (``tests/cases/test_intake.py``
    compares the history rows), in one statement on PostgreSQL, and with the duplicate check
    inside the INSERT instead of a SELECT before it (issue 17.5).
    """
    pk = insert_if_new_with_history(Case, values_of(case), actor=actor)
    if pk is None:
        return False
    case.pk = pk
    case._state.adding = False
    case._state.db = "default"
    return True


def _filed(case: Case, proposed: tuple, *, actor, assignee, at) -> CaseCreateResult:
    """The answer for a case just written (assigned first when intake names an assignee);
    ``proposed``: :func:`case_propose_at_intake`'s (proposal, why not)."""
    proposal, proposal_error = proposed
    if assignee is not None:
        from cases.services.workflow import case_assign

        case_assign(case=case, assignee=assignee, actor=actor, at=at)
    return CaseCreateResult(
        case=case, created=True, proposal=proposal, proposal_error=proposal_error
    )


@transaction.atomic
def case_create_batch(
    *, items: Sequence[tuple[int, Mapping[str, Any]]], actor, at=None
) -> list[BatchItemResult]:
    """File many inquiries at once with single intake's rules, one answer per item.

    ``items``: (index, ``case_create`` keyword arguments) pairs. Each item is validated like
    ``case_create`` (the playbook's FACTS, unknown facts refused, phones, references): an
    invalid item is answered with its field errors and never costs the others. The same
    idempotency key returns the case it filed (also twice in one batch) when the item is the
    same request, and refuses the item (``idempotency_key_reused``) when its values differ from
    what the key filed (compared as single intake does, with the case's first history row, or
    with the earlier item of the batch); an open case with
    the same business key (or an earlier item of the batch) makes the item a duplicate with
    that case's id, and every new case stores its proposal.

    The writes are the importer's (:mod:`cases.intake.bulk`): the new cases and their "+"
    history rows (the acting user, :data:`BATCH_REASON`) in multi-row INSERTs, or COPY on
    PostgreSQL, so the number of statements does not grow with the batch. A concurrent
    request that inserts one of the same keys first makes the bulk insert fail as a whole;
    then each new item is saved on its own, and the loser gets the winner's case, as in
    ``case_create``.
    """
    from cases.intake.bulk import insert_with_history, values_of
    from cases.intake.importer import _open_cases
    from cases.playbooks.env import MemoEnv
    from kmcs_site.permissions import user_can

    require(actor, "cases.case.intake", message="케이스를 접수할 권한이 없습니다.")
    at = moment(at)
    results: dict[int, BatchItemResult] = {}
    prepared: list[tuple[int, PreparedCase]] = []
    for index, kwargs in items:
        try:
            prepared.append(
                (
                    index,
                    case_prepare(actor=actor, at=at, refuse_unknown_facts=True, **kwargs),
                )
            )
        except FactsInvalid as exc:
            results[index] = batch_item_invalid(index, exc.errors, kwargs.get("idempotency_key"))

    keys = [p.case.idempotency_key for _, p in prepared if p.case.idempotency_key]
    filed = (
        {
            key: (pk, creator)
            for key, pk, creator in Case.objects.filter(idempotency_key__in=keys).values_list(
                "idempotency_key", "pk", "created_by_id"
            )
        }
        if keys
        else {}
    )
    # What each key already filed was filed with: only for keys whose case exists.
    filed_with = filed_requests(list(filed))
    open_cases = _open_cases(
        {(p.case.playbook, p.case.business_key) for _, p in prepared if p.case.business_key}
    )

    new: list[tuple[int, PreparedCase]] = []
    #: Seed 002 posts repeating a case in progress: (index, item, open case pk or None, earlier
    #: index or None), each filed as its own answered case once the batch is written.
    answered: list[tuple[int, PreparedCase, int | None, int | None]] = []
    first_key: dict[str, int] = {}  # idempotency key -> index of the item that files it
    first_business: dict[tuple[str, str], int] = {}
    later: list[tuple[int, PreparedCase, str, int]] = []  # (index, item, kind, earlier index)
    by_index = dict(prepared)
    for index, item in prepared:
        case = item.case
        key = case.idempotency_key
        business = (case.playbook, case.business_key)
        if key and key in filed:
            if _same_values(filed_with[key], case):
                results[index] = _existing(index, filed[key][0], key)
            else:
                results[index] = _key_reused(index, filed[key][0], key)
        elif key and key in first_key:
            earlier = first_key[key]
            same = _same_values(by_index[earlier].case, case)
            kind = BatchStatus.EXISTING if same else BatchStatus.KEY_REUSED
            later.append((index, item, kind, earlier))
        elif case.business_key and business in open_cases and case.playbook in ANSWERS_DUPLICATES:
            if key:
                first_key[key] = index
            answered.append((index, item, open_cases[business], None))
        elif case.business_key and business in open_cases:
            results[index] = _duplicate(index, open_cases[business], key)
        elif (
            case.business_key and business in first_business and case.playbook in ANSWERS_DUPLICATES
        ):
            if key:
                first_key[key] = index
            answered.append((index, item, None, first_business[business]))
        elif case.business_key and business in first_business:
            later.append((index, item, BatchStatus.DUPLICATE, first_business[business]))
        else:
            if key:
                first_key[key] = index
            if case.business_key:
                first_business[business] = index
            new.append((index, item))

    # Keys filed before by someone else: only a caller who may see that case gets its id.
    foreign = [pk for pk, creator in filed.values() if creator != getattr(actor, "pk", None)]
    if foreign:
        hidden = {
            case.pk
            for case in Case.objects.filter(pk__in=foreign)
            if not user_can(actor, "cases.case.view", case)
        }
        for index, result in list(results.items()):
            hides = result.status in (BatchStatus.EXISTING, BatchStatus.KEY_REUSED)
            if hides and result.case_id in hidden:
                results[index] = BatchItemResult(
                    index=index,
                    status=BatchStatus.CONFLICT,
                    idempotency_key=result.idempotency_key,
                    message="이 멱등 키는 다른 요청에 이미 쓰였습니다. 새 키로 보내 주세요.",
                )

    env = MemoEnv()
    proposals: dict[int, tuple[Any, str | None]] = {
        index: case_propose_at_intake(item, at=at, env=env) for index, item in new
    }
    case_ids: dict[int, int] = {}
    try:
        with transaction.atomic():
            pks = insert_with_history(
                Case, [values_of(item.case) for _, item in new], actor=actor, reason=BATCH_REASON
            )
    except IntegrityError:
        # A concurrent request filed one of these keys first: save one by one (the loser of
        # each race gets the winner's case, as in case_create).
        for index, item in new:
            lost = _insert_or_winner(item.case, actor, reason=BATCH_REASON)
            if lost is None:
                case_ids[index] = item.case.pk
            elif lost.duplicate_of is not None:
                results[index] = _duplicate(index, lost.case.pk, item.case.idempotency_key)
            elif lost.key_reused:
                results[index] = _key_reused(index, lost.case.pk, item.case.idempotency_key)
            else:
                results[index] = _existing(index, lost.case.pk, item.case.idempotency_key)
    else:
        case_ids = {index: pk for (index, _), pk in zip(new, pks, strict=True)}
    for index, item in new:
        if index in results:
            continue
        proposal, error = proposals[index]
        results[index] = BatchItemResult(
            index=index,
            status=BatchStatus.CREATED,
            case_id=case_ids[index],
            idempotency_key=item.case.idempotency_key,
            outcome=proposal.outcome if proposal is not None else None,
            proposal_error=error,
            message=f"케이스 #{case_ids[index]}를 접수했습니다.",
        )
    kwargs_of = dict(items)
    for index, _item, open_pk, earlier in answered:
        first_pk = open_pk if open_pk is not None else results[earlier].case_id
        first = Case.objects.filter(pk=first_pk).first() if first_pk is not None else None
        if first is None:
            results[index] = BatchItemResult(
                index=index,
                status=results[earlier].status,
                idempotency_key=_item.case.idempotency_key,
            )
            continue
        # As case_create does (seed 002 "5. 반려 (중복 접수)"): its own case, linked to the
        # case in progress, decided 반려 (중복 접수) when the filer may decide.
        done = _file_answered_duplicate(
            first,
            {**kwargs_of[index], "actor": actor, "at": at, "refuse_unknown_facts": True},
            actor=actor,
            assignee=None,
            at=at,
            env=env,
        )
        results[index] = BatchItemResult(
            index=index,
            status=BatchStatus.CREATED if done.created else BatchStatus.EXISTING,
            case_id=done.case.pk,
            idempotency_key=_item.case.idempotency_key,
            outcome=done.proposal.outcome if done.proposal is not None else None,
            proposal_error=done.proposal_error,
            message=done.message,
        )
    for index, item, kind, earlier in later:
        case_id = results[earlier].case_id
        key = item.case.idempotency_key
        if kind == BatchStatus.KEY_REUSED:
            results[index] = _key_reused(index, case_id, key)
        elif kind == BatchStatus.EXISTING or case_id is None:
            results[index] = (
                _existing(index, case_id, key)
                if case_id is not None
                else BatchItemResult(
                    index=index, status=results[earlier].status, idempotency_key=key
                )
            )
        else:
            results[index] = _duplicate(index, case_id, key, earlier=earlier)
    return [results[index] for index in sorted(results)]
