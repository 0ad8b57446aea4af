"""Intake: one inquiry becomes one case (or finds the case it duplicates)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from cases.business_keys import REFERENCE_FIELDS, business_key_for, references_from
from cases.exceptions import FactsInvalid
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

    @property
    def message(self) -> str:
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


def _validated_facts(module, facts: Mapping[str, Any], channel: str, errors: dict) -> dict:
    data = dict(facts or {}) if isinstance(facts, Mapping) else facts
    fields = module.FACTS().fields
    # Several playbooks decide by channel (seed 000: 유선 never decides). The case's channel is
    # the one truth; facts that omit it get it, facts that contradict it are refused.
    if isinstance(data, dict) and "channel" in fields:
        if data.get("channel") in (None, ""):
            data["channel"] = channel
        elif data["channel"] != channel:
            errors["channel"] = ["접수 채널과 사실관계의 채널이 다릅니다."]
    serializer = module.FACTS(data=data)
    if not serializer.is_valid():
        errors.update(flatten_errors(serializer.errors))
        return {}
    # The representation (dates as ISO strings) is what is stored and re-validated later.
    return json.loads(json.dumps(serializer.data, cls=DjangoJSONEncoder))


@transaction.atomic
def case_create(
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
) -> CaseCreateResult:
    """Validate the facts with the playbook's FACTS and open a case, unless it already exists.

    - invalid input -> :class:`FactsInvalid` with Korean field errors; nothing is created;
    - the same ``idempotency_key`` again -> the case it created (``created`` False);
    - an open case with the same playbook and business key -> that case (``duplicate_of``);
    - two requests racing past the check: the partial unique constraint refuses the second
      insert and it returns the winner's case as well.
    """
    require(actor, "cases.case.intake", message="케이스를 접수할 권한이 없습니다.")
    at = moment(at)
    if playbook not in SERVICE_OF_PLAYBOOK:
        raise FactsInvalid({"playbook": [f"알 수 없는 플레이북입니다: {playbook}"]})
    module = playbook_module(playbook)
    errors: dict[str, list[str]] = {}
    if channel not in Channel.values:
        errors["channel"] = [f"접수 채널이 올바르지 않습니다: {channel}"]
    refs = dict(references or {})
    unknown = sorted(set(refs) - set(REFERENCE_FIELDS))
    if unknown:
        errors["references"] = [f"알 수 없는 참조 항목입니다: {', '.join(unknown)}"]
    customer = _phone(customer_phone, "customer_phone", errors)
    driver = _phone(driver_phone, "driver_phone", errors)
    clean_facts = _validated_facts(module, facts, channel, errors)
    if idempotency_key is not None and not str(idempotency_key).strip():
        errors["idempotency_key"] = ["멱등 키가 비어 있습니다."]
    if errors:
        raise FactsInvalid(errors)

    if idempotency_key:
        existing = Case.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return CaseCreateResult(case=existing, created=False)

    key = business_key_for(playbook, references=refs, facts=clean_facts)
    if key:
        existing = case_open_duplicate(playbook=playbook, business_key=key)
        if existing is not None:
            return CaseCreateResult(case=existing, created=False, duplicate_of=existing)

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
        created_at=at,
        **references_from(refs, clean_facts),
    )
    # Uniqueness (idempotency key, open business key) is the database's to decide, below: a
    # check here would only race with the insert it precedes.
    try:
        case.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise FactsInvalid(flatten_errors(exc.message_dict)) from exc
    case._history_user = actor
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        winner = None
        if idempotency_key:
            winner = Case.objects.filter(idempotency_key=idempotency_key).first()
            if winner is not None:
                return CaseCreateResult(case=winner, created=False)
        if key:
            winner = case_open_duplicate(playbook=playbook, business_key=key)
        if winner is None:
            raise
        return CaseCreateResult(case=winner, created=False, duplicate_of=winner)

    if assignee is not None:
        from cases.services.workflow import case_assign

        case_assign(case=case, assignee=assignee, actor=actor, at=at)
    return CaseCreateResult(case=case, created=True)
