"""Intake, first half: validate a request's fields and facts and propose at intake, no write.

Split from ``cases/services/intake.py`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from rest_framework.exceptions import ValidationError as DrfValidationError

from cases.business_keys import REFERENCE_FIELDS, business_key_for, references_from
from cases.exceptions import FactsInvalid, ProposalFailed
from cases.models import SERVICE_OF_PLAYBOOK, Case, Channel
from cases.models.case import phone_last4
from cases.services._common import flatten_errors, moment


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
