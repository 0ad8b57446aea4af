"""Fine intake: one customer's notice becomes a traffic_fine case, its FineNotice and, where the
playbook says so, a payout. The database facts the playbook needs (duplicate, evidence, ledger)
are computed here and passed in, so ``cases.playbooks.traffic_fine.propose`` stays pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError as DrfValidationError

from cases.attachments import detect_attachment
from cases.exceptions import FactsInvalid
from cases.playbooks import traffic_fine
from cases.playbooks.base import Proposal
from cases.services._common import flatten_errors
from fines import codes, crypto
from fines.evidence import EvidenceResult, Thresholds, check_evidence
from fines.models import LIVE_STATUSES, FineNotice, FinePayout, Ride
from fines.schedule import SEOUL
from fines.validators import validate_notice_image

from ._common import FineError, audited_save, now_or, require


@dataclass(frozen=True)
class FineIntakeResult:
    """What intake did. ``created`` False: nothing new was stored (a replay, or a duplicate of
    a case that is still open); ``duplicate_of`` is the first notice when this one repeats it."""

    notice: FineNotice | None
    case: Any
    proposal: Proposal
    created: bool
    duplicate_of: FineNotice | None = None
    payout: FinePayout | None = None

    @property
    def outcome(self) -> str:
        return self.proposal.outcome

    @property
    def message(self) -> str:
        if self.duplicate_of is not None:
            first = self.duplicate_of.case_id
            return f"중복 접수입니다: 같은 콜ID·고지서의 과태료가 이미 접수되어 있습니다 (케이스 #{first})."
        if not self.created:
            return f"이미 접수된 요청입니다 (케이스 #{self.case.pk})."
        return f"케이스 #{self.case.pk}: {codes.OUTCOMES[self.outcome]}"


def minute(moment: datetime | None) -> datetime | None:
    """The duplicate key's resolution: notices print the violation time to the minute."""
    return moment.replace(second=0, microsecond=0) if moment else None


def validate_intake(facts: Mapping[str, Any], notice_image=None) -> dict:
    """FACTS plus the image check; FactsInvalid (Korean, per field) before anything is stored."""
    data = dict(facts or {})
    errors: dict[str, list[str]] = {}
    if notice_image is not None:
        data["has_notice_image"] = True
        try:
            validate_notice_image(notice_image)
            # It becomes the case's attachment: the attachments' own checks too (their size
            # and pixel limits), before anything is stored.
            detect_attachment(notice_image, check_name=False)
        except ValidationError as exc:
            errors["notice_image"] = [str(m) for m in exc.messages]
    serializer = traffic_fine.FACTS(data=data)
    if not serializer.is_valid():
        errors.update(flatten_errors(serializer.errors))
    if errors:
        raise FactsInvalid(errors)
    return dict(serializer.validated_data)


def first_claim(*, call_id: str, violation_at: datetime | None) -> FineNotice | None:
    """The notice that holds (call ID, violation time), if any: the duplicate guard's check."""
    if violation_at is None:
        return None
    return (
        FineNotice.objects.select_related("case")
        .filter(call_id=call_id, violation_at=violation_at, claims_violation=True)
        .first()
    )


def live_payout_for(*, call_id: str, violation_at: datetime | None) -> FinePayout | None:
    """The ledger check (과태료 관리 → 콜ID 검색 → 지급 여부 확인)."""
    if violation_at is None:
        return None
    return (
        FinePayout.objects.filter(
            call_id=call_id, violation_at=violation_at, status__in=LIVE_STATUSES
        )
        .order_by("pk")
        .first()
    )


def evidence_for(v: Mapping[str, Any], ride: Ride | None) -> EvidenceResult:
    lat, lng = v.get("violation_lat"), v.get("violation_lng")
    return check_evidence(
        ride=ride.trace() if ride else None,
        violation_at=v.get("violation_at"),
        violation_point=(lat, lng) if lat is not None and lng is not None else None,
        parking=v.get("violation_kind") in codes.PARKING_KINDS,
        thresholds=Thresholds.from_settings(),
    )


def same_call_other_notice(*, call_id: str, violation_at: datetime | None) -> FineNotice | None:
    """The earliest notice of ``call_id`` with *another* violation time (seed 004: "중복건
    발생시 과태료 고지서 및 내용 중복 체크 필수"): not a duplicate by the key, but the agent must
    confirm it is another violation (a ``content_duplicate_check`` step)."""
    if violation_at is None:
        return None
    return (
        FineNotice.objects.filter(call_id=call_id, case__isnull=False)
        .exclude(violation_at=violation_at)
        .order_by("pk")
        .first()
    )


def db_facts(
    *,
    first: FineNotice | None,
    payout: FinePayout | None,
    evidence: EvidenceResult,
    other: FineNotice | None = None,
) -> dict[str, Any]:
    """The facts only the database knows, in the playbook's field names."""
    return {
        "duplicate_of_case_id": first.case_id if first is not None else None,
        "earlier_payout_id": payout.pk if payout is not None else None,
        "evidence_result": evidence.result,
        "evidence_reason": evidence.reason[:200],
        "same_call_case_id": other.case_id if other is not None else None,
        "same_call_violation_at": other.violation_at if other is not None else None,
    }


def propose_for(facts: Mapping[str, Any], at: datetime) -> Proposal:
    serializer = traffic_fine.FACTS(data=dict(facts))
    try:
        serializer.is_valid(raise_exception=True)
    except DrfValidationError as exc:
        raise FactsInvalid(flatten_errors(exc.detail)) from exc
    from cases.playbooks.env import DatabaseEnv

    # Stored data through env (center settings, a lead's template switches).
    return traffic_fine.propose(serializer.validated_data, at, DatabaseEnv())


def _set_account(notice: FineNotice, v: Mapping[str, Any]) -> None:
    digits = v.get("account_number") or ""
    if digits:
        notice.account = digits
        notice.account_hash = crypto.account_hash(digits)
        notice.account_last4 = digits[-4:]
        notice.account_length = len(digits)


def store_case_facts(*, case, facts: Mapping[str, Any], actor, reason: str) -> None:
    """Write the facts a fine is decided under onto its case (what ``case_propose`` reads),
    in the stored form ``case_create`` uses: validated, the account number never kept."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    serializer = traffic_fine.FACTS(data=dict(facts))
    if not serializer.is_valid():
        raise FactsInvalid(flatten_errors(serializer.errors))
    from cases.business_keys import business_key_for

    case.facts = json.loads(json.dumps(serializer.data, cls=DjangoJSONEncoder))
    # The key follows the facts: a board case keyed by the call ID alone becomes call ID +
    # violation minute once the notice is known, so the next notice of that ride is not its
    # duplicate and the same notice again still is.
    case.business_key = business_key_for(
        case.playbook, references={"call_id": case.call_id}, facts=case.facts
    )
    case._history_user = actor
    case._change_reason = reason
    case.save(update_fields=["facts", "business_key", "updated_at"])


class _NotCreated(Exception):
    def __init__(self, result):
        self.result = result


def _jsonable(v: Mapping[str, Any]) -> dict[str, Any]:
    # case_create re-validates the facts; the write-only account number goes in (validated,
    # never stored) so the stored facts carry the masked form.
    out = {}
    for key, value in v.items():
        if key == "account_masked":
            continue
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def fine_intake(*, notice_image=None, **kwargs) -> FineIntakeResult:
    """Take in a fine (seed 004 steps 1-3); see :func:`_fine_intake` for the rules.

    The notice image is personal data: it is written to storage when the notice row is
    inserted, so when the intake then stores no row for it (a service error, a replay, a
    repeat of a case still open) the file is deleted again, and no image stays on disk without
    a row pointing at it.

    The image is also the filed case's 과태료 고지서 attachment (issue 14.4): one stored file,
    recorded by the notice and by the attachment row in the same transaction
    (``cases.services.attachments.case_attachment_of_stored_file``), so the case page and the
    timeline show it and the fact ``has_notice_image`` agrees with the attachments.
    """
    written: list[str] = []
    try:
        return _fine_intake(notice_image=notice_image, written=written, **kwargs)
    finally:
        _discard_unreferenced(written)


def _discard_unreferenced(names: list[str]) -> None:
    """Delete the stored images no FineNotice row refers to (after the intake's transaction:
    committed, or rolled back to its savepoint)."""
    from django.db import connection

    field = FineNotice._meta.get_field("notice_image")
    for name in dict.fromkeys(names):
        # A transaction already doomed keeps no row of this intake; else ask the database.
        doomed = connection.in_atomic_block and connection.needs_rollback
        if doomed or not FineNotice.objects.filter(notice_image=name).exists():
            field.storage.delete(name)


@transaction.atomic
def _fine_intake(
    *,
    facts: Mapping[str, Any],
    actor,
    written: list[str],
    channel: str = "chatbot_board",
    notice_image=None,
    customer_phone: str | None = None,
    driver_phone: str | None = None,
    driver_id: str | None = None,
    idempotency_key: str | None = None,
    decide: bool = True,
    at=None,
) -> FineIntakeResult:
    """Take in a fine (seed 004 steps 1-3) and, with ``decide``, decide it as proposed.

    - Bad input (call ID not digits, account format, amount <= 0, violation after the notice
      date, a file that is not an image) -> FactsInvalid; nothing is stored.
    - The same notice again (call ID + violation time) -> ``rejected_duplicate`` pointing at
      the first. The database decides a race: the partial unique index on FineNotice lets one
      claim win and the other is stored as the duplicate (or, while the first case is still
      open, nothing is stored and the result points at it).
    - A place/time mismatch is the seed's 특이이슈: decided now as ``transfer_to_manager`` (Agit
      특이이슈_과태료 → 담당자 이관, 시간소요 양해 SMS); the manager then confirms the mismatch
      (``rejected_evidence_mismatch``) or accepts the ride
      (:func:`fines.services.manager.notice_evidence_review`). Every outcome is decided now
      (``cases.services.case_decide``), and ``payout`` creates the payout.
    """
    from cases.services.intake import case_create

    require(actor, "fines.finenotice.add", message="과태료를 접수할 권한이 없습니다.")
    at = now_or(at)
    v = validate_intake(facts, notice_image)
    v["violation_at"] = minute(v.get("violation_at"))
    if not v.get("received_on"):
        v["received_on"] = at.astimezone(SEOUL).date()
    call_id = v["call_id"]
    ride = Ride.objects.filter(call_id=call_id).first()
    evidence = evidence_for(v, ride)
    documents_missing = bool(traffic_fine.missing_documents(v))
    first = first_claim(call_id=call_id, violation_at=v["violation_at"])

    try:
        with transaction.atomic():
            notice = FineNotice(
                call_id=call_id,
                call_type=v["call_type"],
                notice_type=v["notice_type"],
                violation_kind=v["violation_kind"],
                # A place/time mismatch files the fine as a special issue (the manager's).
                category=traffic_fine.category({**v, "evidence_result": evidence.result}),
                violation_at=v["violation_at"],
                violation_place=v.get("violation_place", ""),
                violation_lat=v.get("violation_lat"),
                violation_lng=v.get("violation_lng"),
                notice_issued_on=v.get("notice_issued_on"),
                amount=v.get("amount"),
                car_number=v.get("car_number", ""),
                bank=v.get("bank", ""),
                account_holder=v.get("account_holder", ""),
                driver_id=driver_id or (ride.driver_id if ride else ""),
                driver_name=v.get("driver_name") or (ride.driver_name if ride else ""),
                ride=ride,
                evidence_result=evidence.result,
                evidence_reason=evidence.reason[:200],
                evidence_details=evidence.details,
                evidence_checked_at=at,
                intake_by=actor,
            )
            _set_account(notice, v)
            if notice_image is not None:
                notice.notice_image = notice_image
            notice.claims_violation = first is None and not documents_missing
            notice.duplicate_of = first
            try:
                first = _insert_claim(notice, actor)
            finally:
                if notice.notice_image and notice.notice_image._committed:
                    written.append(notice.notice_image.name)

            full = {
                **v,
                **db_facts(
                    first=first,
                    payout=live_payout_for(call_id=call_id, violation_at=v["violation_at"]),
                    evidence=evidence,
                    other=None
                    if first is not None
                    else same_call_other_notice(call_id=call_id, violation_at=v["violation_at"]),
                ),
            }
            board_case = _board_opened_case(call_id)
            if board_case is not None:
                store_case_facts(
                    case=board_case,
                    facts=_jsonable(full),
                    actor=actor,
                    reason="과태료 접수 (상담사)",
                )
                return _finish_intake(
                    notice, board_case, full, actor, decide, at, first, notice_image
                )
            result = case_create(
                playbook=traffic_fine.CODE,
                facts=_jsonable(full),
                channel=channel,
                actor=actor,
                customer_phone=customer_phone,
                driver_id=notice.driver_id or None,
                driver_phone=driver_phone or (ride.driver_phone if ride else None) or None,
                references={"call_id": call_id},
                idempotency_key=idempotency_key,
                at=at,
            )
            case = result.case
            if not result.created:
                if not _adoptable(result):
                    raise _NotCreated(result)
                store_case_facts(
                    case=case, facts=_jsonable(full), actor=actor, reason="과태료 접수 (상담사)"
                )
            return _finish_intake(notice, case, full, actor, decide, at, first, notice_image)
    except _NotCreated as stop:
        return _not_created(stop.result, v, evidence, at)


def _finish_intake(
    notice, case, full, actor, decide, at, first, notice_image=None
) -> FineIntakeResult:
    proposal = propose_for(_jsonable(full), at)
    notice.case = case
    notice.outcome = proposal.outcome
    audited_save(notice, actor, reason="과태료 접수", validate_constraints=False)
    if notice_image is not None and notice.notice_image:
        # Before the decision, which may close the case: the evidence is on the case first.
        from cases.models import AttachmentKind
        from cases.services.attachments import case_attachment_of_stored_file

        case_attachment_of_stored_file(
            case=case,
            actor=actor,
            stored=notice.notice_image,
            upload=notice_image,
            kind=AttachmentKind.FINE_NOTICE,
            at=at,
            reason="과태료 접수 (고지서 이미지)",
        )
    payout = None
    if decide:
        from .decisions import fine_decide

        payout = fine_decide(notice=notice, proposal=proposal, actor=actor, at=at)
    return FineIntakeResult(notice, case, proposal, True, first, payout)


def _board_opened_case(call_id: str):
    """An open traffic_fine case the chatbot board opened for this call ID without a violation
    time (keyed by the call ID alone) and with no fine yet: the agent's intake completes it."""
    from cases.selectors import case_open_duplicate

    case = case_open_duplicate(playbook=traffic_fine.CODE, business_key=call_id)
    if case is None or FineNotice.objects.filter(case=case).exists():
        return None
    return case


def _adoptable(result) -> bool:
    """An open traffic_fine case of this call ID that has no fine yet (the chatbot board's
    intake created it through the cases API): the agent's intake completes that case instead
    of being refused as its duplicate."""
    return (
        result.duplicate_of is not None
        and result.case.playbook == traffic_fine.CODE
        and not FineNotice.objects.filter(case=result.case).exists()
    )


def _insert_claim(notice: FineNotice, actor) -> FineNotice | None:
    """Insert ``notice``; if another notice claimed the same violation meanwhile, store this
    one as its duplicate. Returns the first notice (None when this one is the first)."""
    first = notice.duplicate_of
    try:
        with transaction.atomic():
            audited_save(notice, actor, reason="과태료 접수", validate_constraints=False)
        return first
    except IntegrityError:
        winner = first_claim(call_id=notice.call_id, violation_at=notice.violation_at)
        if winner is None:
            raise
        notice.pk = None
        notice.claims_violation = False
        notice.duplicate_of = winner
        audited_save(notice, actor, reason="과태료 접수 (중복)", validate_constraints=False)
        return winner


def _not_created(result, v: Mapping[str, Any], evidence: EvidenceResult, at) -> FineIntakeResult:
    """case_create found an existing case: a replay (same idempotency key) or an open case of
    the same call ID (the cases app's guard)."""
    case = result.case
    existing = FineNotice.objects.filter(case=case).first()
    if result.duplicate_of is None:
        proposal = propose_for(case.facts, at)
        return FineIntakeResult(existing, case, proposal, False)
    same = existing is None or existing.violation_at in (None, v["violation_at"])
    if not same:
        raise FineError(
            f"같은 콜ID의 다른 과태료(케이스 #{case.pk})가 처리 중입니다. "
            "해당 케이스 처리 후 다시 접수해 주세요."
        )
    full = {**v, **db_facts(first=existing, payout=None, evidence=evidence)}
    full["duplicate_of_case_id"] = case.pk
    proposal = propose_for(_jsonable(full), at)
    return FineIntakeResult(None, case, proposal, False, existing or None)
