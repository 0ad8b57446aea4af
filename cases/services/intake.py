"""Intake: one inquiry becomes one case (or finds the case it duplicates)."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError as DrfValidationError

from cases.business_keys import REFERENCE_FIELDS, business_key_for, references_from
from cases.exceptions import FactsInvalid, ProposalFailed
from cases.models import SERVICE_OF_PLAYBOOK, Case, Channel
from cases.models.case import phone_last4
from cases.selectors import case_open_duplicate
from cases.services._common import flatten_errors, moment, require


@dataclass(frozen=True)
class CaseCreateResult:
    """What intake did: ``created`` False means ``case`` already existed.

    ``duplicate_of`` is set when an *open* case with the same business key was found (a second
    inquiry about the same call / payment / session); it is None when the same request was
    replayed with its idempotency key (a retry, not a duplicate).
    """

    case: Case
    created: bool
    duplicate_of: Case | None = None
    #: The playbook's proposal made at intake (stored in ``case.proposal``), for a new case;
    #: ``proposal_error`` says (in Korean) why there is none.
    proposal: Any = None
    proposal_error: str | None = None
    #: The idempotency key came back with a different request (another call, phone, facts...):
    #: ``case`` is what the key filed, and the new request was not filed (the API answers 422).
    key_reused: bool = False
    #: Seed 002 answers a duplicate post (반려, 중복 접수) instead of folding it: ``case`` is the
    #: new case, linked to this open one (``case.duplicate_of``); ``duplicate_of`` stays None.
    answered_duplicate_of: Case | None = None

    @property
    def message(self) -> str:
        if self.created and self.answered_duplicate_of is not None:
            return (
                f"케이스 #{self.case.pk}를 접수했습니다: 처리 중인 케이스 "
                f"#{self.answered_duplicate_of.pk}와 같은 건이라 반려 (중복 접수)로 답합니다."
            )
        if self.created:
            return f"케이스 #{self.case.pk}를 접수했습니다."
        if self.duplicate_of is not None:
            return (
                f"같은 건으로 처리 중인 케이스 #{self.duplicate_of.pk}가 있어 새로 접수하지 "
                "않았습니다 (중복 접수)."
            )
        return f"이미 접수된 요청입니다 (케이스 #{self.case.pk})."


def playbook_module(code: str):
    """The playbook module for ``code``, or FactsInvalid naming the field."""
    from cases.playbooks import get_playbook

    try:
        return get_playbook(code)
    except Exception as exc:  # the registry's own lookup error: unknown code
        raise FactsInvalid({"playbook": [f"알 수 없는 플레이북입니다: {code}"]}) from exc


def _phone(value: str | None, field: str, errors: dict) -> str:
    if not value:
        return ""
    from templates_app.phones import InvalidPhoneNumber, validate_korean_mobile

    try:
        return validate_korean_mobile(value)
    except InvalidPhoneNumber as exc:
        errors[field] = [str(exc)]
        return ""


_FACTS = threading.local()


def facts_serializer(module) -> Any:
    """One ``FACTS`` instance per playbook and thread: DRF deep-copies a serializer's fields on
    first use, which costs more than validating a request; ``run_validation`` keeps no state
    on the instance, so validating with the same one is what a fresh one would answer."""
    cache = getattr(_FACTS, "by_code", None)
    if cache is None:
        cache = _FACTS.by_code = {}
    serializer = cache.get(module.CODE)
    if serializer is None or type(serializer) is not module.FACTS:
        serializer = module.FACTS()
        serializer.fields  # noqa: B018 - build the fields once
        cache[module.CODE] = serializer
    return serializer


def _validated_facts(module, facts: Mapping[str, Any], channel: str, errors: dict):
    """(stored representation, validated values) of ``facts``, or ({}, None) with ``errors``."""
    data = dict(facts or {}) if isinstance(facts, Mapping) else facts
    serializer = facts_serializer(module)
    fields = serializer.fields
    # Several playbooks decide by channel (seed 000: 유선 never decides). The case's channel is
    # the one truth; facts that omit it get it, facts that contradict it are refused.
    if isinstance(data, dict) and "channel" in fields:
        if data.get("channel") in (None, ""):
            data["channel"] = channel
        elif data["channel"] != channel:
            errors["channel"] = ["접수 채널과 사실관계의 채널이 다릅니다."]
    try:
        validated = serializer.run_validation(data)
    except DrfValidationError as exc:
        errors.update(flatten_errors(exc.detail))
        return {}, None
    # The representation (dates as ISO strings) is what is stored and re-validated later.
    stored = json.loads(json.dumps(serializer.to_representation(validated), cls=DjangoJSONEncoder))
    return stored, validated


#: The model checks of what came from the request (lengths of ids and references); the rest is
#: set by intake itself from validated values, and the foreign key is the actor (Django would
#: query the database to validate it).
FROM_THE_REQUEST = frozenset(
    {"customer_phone", "driver_id", "driver_phone", "idempotency_key", *REFERENCE_FIELDS}
)
NOT_FROM_THE_REQUEST = tuple(
    f.name for f in Case._meta.concrete_fields if f.name not in FROM_THE_REQUEST
)
CHANNELS = frozenset(Channel.values)


@dataclass(frozen=True)
class PreparedCase:
    """A validated, unsaved case and the facts' validated values (for proposing)."""

    case: Case
    facts: dict


def case_prepare(
    *,
    playbook: str,
    facts: Mapping[str, Any],
    channel: str,
    actor,
    customer_phone: str | None = None,
    driver_id: str | None = None,
    driver_phone: str | None = None,
    references: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    at=None,
    refuse_unknown_facts: bool = False,
) -> PreparedCase:
    """Intake's validation, no database: the case to insert, or :class:`FactsInvalid` with
    Korean field errors. ``refuse_unknown_facts``: a fact the playbook does not declare is an
    error (the API and the importer), not silently dropped."""
    if playbook not in SERVICE_OF_PLAYBOOK:
        raise FactsInvalid({"playbook": [f"알 수 없는 플레이북입니다: {playbook}"]})
    module = playbook_module(playbook)
    errors: dict[str, list[str]] = {}
    if channel not in CHANNELS:
        errors["channel"] = [f"접수 채널이 올바르지 않습니다: {channel}"]
    refs = dict(references or {})
    unknown = sorted(set(refs) - set(REFERENCE_FIELDS))
    if unknown:
        errors["references"] = [f"알 수 없는 참조 항목입니다: {', '.join(unknown)}"]
    customer = _phone(customer_phone, "customer_phone", errors)
    driver = _phone(driver_phone, "driver_phone", errors)
    clean_facts, validated = _validated_facts(module, facts, channel, errors)
    if refuse_unknown_facts:
        from cases.intake.facts import unknown_fact_errors

        errors.update(
            {
                f"facts.{name}": messages
                for name, messages in unknown_fact_errors(module, facts).items()
            }
        )
    if idempotency_key is not None and not str(idempotency_key).strip():
        errors["idempotency_key"] = ["멱등 키가 비어 있습니다."]
    if errors:
        raise FactsInvalid(errors)
    key = business_key_for(playbook, references=refs, facts=clean_facts)
    case = Case(
        playbook=playbook,
        service=SERVICE_OF_PLAYBOOK[playbook],
        channel=channel,
        facts=clean_facts,
        customer_phone=customer,
        customer_phone_last4=phone_last4(customer),
        driver_id=str(driver_id or clean_facts.get("driver_id") or "").strip(),
        driver_phone=driver,
        business_key=key,
        idempotency_key=idempotency_key or None,
        created_by=actor,
        created_at=moment(at),
        **references_from(refs, clean_facts),
    )
    # Uniqueness (idempotency key, open business key) is the database's to decide: a check
    # here would only race with the insert it precedes.
    try:
        case.clean_fields(exclude=NOT_FROM_THE_REQUEST)
    except ValidationError as exc:
        raise FactsInvalid(flatten_errors(exc.message_dict)) from exc
    return PreparedCase(case=case, facts=validated)


def case_propose_at_intake(prepared: PreparedCase, *, at, env=None) -> tuple[Any, str | None]:
    """The playbook's proposal for a case being filed, stored on it (``case.proposal``): what
    intake answers and what the case page starts from. (proposal, None) or (None, why not)."""
    from cases.playbooks import propose_validated
    from cases.playbooks.base import PlaybookError
    from cases.playbooks.env import DatabaseEnv
    from cases.proposals import proposal_snapshot

    case = prepared.case
    case.proposal = None
    try:
        proposal = propose_validated(case.playbook, prepared.facts, at, env or DatabaseEnv())
    except DrfValidationError as exc:  # as case_propose words it on the case page
        return None, FactsInvalid(flatten_errors(exc.detail)).message
    except PlaybookError as exc:
        return None, ProposalFailed(str(exc)).message
    case.proposal = proposal_snapshot(proposal)
    return proposal, None


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

    if idempotency_key:
        existing = Case.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replayed(existing, case)

    if key:
        existing = case_open_duplicate(playbook=playbook, business_key=key)
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

    proposal, proposal_error = case_propose_at_intake(prepared, at=at, env=env)
    lost = _insert_or_winner(case, actor)
    if lost is not None and lost.duplicate_of is not None and playbook in ANSWERS_DUPLICATES:
        # Two posts raced past the check: the loser is the duplicate of the winner.
        with transaction.atomic():
            return _file_answered_duplicate(
                lost.duplicate_of, prepare_kwargs, actor=actor, assignee=assignee, at=at, env=env
            )
    if lost is not None:
        return lost

    if assignee is not None:
        from cases.services.workflow import case_assign

        case_assign(case=case, assignee=assignee, actor=actor, at=at)
    return CaseCreateResult(
        case=case, created=True, proposal=proposal, proposal_error=proposal_error
    )


# --- batch intake -------------------------------------------------------------------------------

#: The history reason of a case filed by a batch (the acting user is on the row as always).
BATCH_REASON = "API 일괄 접수"


class BatchStatus:
    CREATED = "created"  # a new case
    EXISTING = "existing"  # the same idempotency key filed it before (a retry)
    KEY_REUSED = "idempotency_key_reused"  # the key filed another request: nothing filed
    DUPLICATE = "duplicate"  # an open case (or an earlier item) has the same business key
    INVALID = "invalid"  # field errors; nothing filed
    CONFLICT = "conflict"  # the idempotency key belongs to a case this caller cannot see


@dataclass(frozen=True)
class BatchItemResult:
    """What a batch did with one item (``index``: its position in the request)."""

    index: int
    status: str
    case_id: int | None = None
    idempotency_key: str | None = None
    outcome: str | None = None
    proposal_error: str | None = None
    errors: dict[str, list[str]] | None = None
    message: str = ""


def batch_item_invalid(index: int, errors: Mapping[str, list[str]], key=None) -> BatchItemResult:
    return BatchItemResult(
        index=index,
        status=BatchStatus.INVALID,
        idempotency_key=key,
        errors={name: list(messages) for name, messages in errors.items()},
        message="입력값을 확인해 주세요. 이 항목은 접수하지 않았습니다.",
    )


def _existing(index: int, case_id: int, key: str) -> BatchItemResult:
    return BatchItemResult(
        index=index,
        status=BatchStatus.EXISTING,
        case_id=case_id,
        idempotency_key=key,
        message=f"이미 접수된 요청입니다 (케이스 #{case_id}).",
    )


def _key_reused(index: int, case_id: int | None, key: str) -> BatchItemResult:
    """Single intake's 422 ``idempotency_key_reused``, for one item: the key filed a request
    with other values (case ``case_id``); this one is not filed, a new key files it."""
    message = (
        f"멱등 키 '{key}'는 다른 내용의 요청(케이스 #{case_id})에 이미 쓰였습니다. "
        "같은 요청을 다시 보낼 때만 같은 키를 쓰고, 새 접수는 새 키로 보내 주세요."
    )
    return BatchItemResult(
        index=index,
        status=BatchStatus.KEY_REUSED,
        case_id=case_id,
        idempotency_key=key,
        errors={"idempotency_key": [message]},
        message=message,
    )


def _duplicate(index: int, case_id: int, key: str | None, earlier: int | None = None):
    where = f"이 요청의 {earlier}번 항목" if earlier is not None else "처리 중인 케이스"
    return BatchItemResult(
        index=index,
        status=BatchStatus.DUPLICATE,
        case_id=case_id,
        idempotency_key=key,
        message=f"같은 건({where}, 케이스 #{case_id})이 있어 새로 접수하지 않았습니다 (중복 접수).",
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
