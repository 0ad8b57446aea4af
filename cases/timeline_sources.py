"""Where a case's timeline comes from: one reader per audit source (the case's and its steps'
history, clocks, messages, revisions, Agit posts, e-mails, OB attempts, unmasking, links,
attachments), each reading only its newest ``limit + 1`` rows. ``cases.timeline.case_timeline``
merges them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType

from cases.models import (
    AgitDelivery,
    Case,
    CaseEmail,
    CaseStep,
    ClockStop,
    ContactAttempt,
    EmailDirection,
    EmailStatus,
    EscalationPost,
    FactRevision,
    PostReason,
    Status,
    StepClock,
    StepStatus,
    UnmaskLog,
    WaitingOn,
)
from cases.selectors import case_prefetched
from cases.timeline import (
    SYSTEM,
    TimelineEvent,
    _masked,
    _when,
    outcome_label,
    person,
    revision_changes,
)

# --- sources ---------------------------------------------------------------------------------


def _newest(qs, limit: int, *order) -> tuple[list, bool]:
    """The newest ``limit`` rows of ``qs`` in time order, and whether older ones exist."""
    rows = list(qs.order_by(*(f"-{o}" for o in order))[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return rows, more


def _newest_of(rows: list, limit: int, key) -> tuple[list, bool]:
    """:func:`_newest` over rows already read (a prefetch): same rows, same order."""
    rows = sorted(rows, key=key)
    return rows[-limit:] if limit else [], len(rows) > limit


def _newest_related(case: Case, name: str, qs, limit: int, *order) -> tuple[list, bool]:
    """:func:`_newest` of the case's ``name`` rows: from the case page's prefetch when it read
    them (no second query), else ``qs``. ``order``: the time field, then its tiebreaker."""
    prefetched = case_prefetched(case, name)
    if prefetched is not None:
        return _newest_of(prefetched, limit, key=lambda row: tuple(getattr(row, f) for f in order))
    return _newest(qs, limit, *order)


def _step_labels(case: Case) -> dict[int, str]:
    """Step id -> label, read once per case object (the clock and message events both name
    steps): from the prefetched steps when the case page has them, else one query."""
    labels = case.__dict__.get("_timeline_step_labels")
    if labels is None:
        steps = case_prefetched(case, "steps")
        if steps is not None:
            labels = {step.pk: step.label for step in steps}
        else:
            labels = dict(CaseStep.objects.filter(case_id=case.pk).values_list("pk", "label"))
        case.__dict__["_timeline_step_labels"] = labels
    return labels


def _pairs(rows, key: str = "id"):
    """(row, previous version of the same object or None) for history rows in time order."""
    previous: dict[Any, Any] = {}
    for row in rows:
        obj = getattr(row, key)
        yield row, previous.get(obj)
        previous[obj] = row


def case_events(case: Case, limit: int) -> tuple[list[TimelineEvent], bool]:
    rows, more = _newest(
        # The facts and the proposal (JSON, the largest columns) are not part of the story.
        Case.history.filter(id=case.pk)
        .select_related("history_user", "assignee")
        .defer("facts", "proposal"),
        limit,
        "history_date",
        "history_id",
    )
    events: list[TimelineEvent] = []
    for row, before in _pairs(rows):
        who = person(row.history_user)
        at = row.history_date
        seq = row.history_id
        if row.history_type == "+":
            detail = f"{Case(channel=row.channel).get_channel_display()} 접수"
            events.append(TimelineEvent(at, "case", "케이스 접수", who, detail, seq=seq))
            if row.assignee_id:
                events.append(
                    TimelineEvent(at, "case", f"배정: {person(row.assignee)}", who, seq=seq)
                )
            continue
        if before is None:
            continue
        if row.assignee_id != before.assignee_id:
            label = f"배정: {person(row.assignee)}" if row.assignee_id else "배정 해제"
            events.append(TimelineEvent(at, "case", label, who, seq=seq))
        if row.status != before.status:
            events.append(_status_event(case, row, before, who, seq))
        elif row.outcome != before.outcome and row.outcome and row.status == Status.DECIDED:
            # A fact revision re-planned a decided case with another outcome.
            label = f"처리 결과 변경: {outcome_label(case.playbook, row.outcome)}"
            was = outcome_label(case.playbook, before.outcome)
            events.append(TimelineEvent(at, "decision", label, who, f"이전: {was}", seq=seq))
        if row.answer_saved_at and row.answer_saved_at != before.answer_saved_at:
            events.append(TimelineEvent(at, "case", "답변내용 저장", who, seq=seq))
        record = ("record_title", "record_inquiry", "operations_memo", "billing_memo")
        if (
            row.status == before.status
            and any(getattr(row, f) != getattr(before, f) for f in record)
            and not (row.history_change_reason or "").startswith("사실관계 수정")
        ):
            events.append(TimelineEvent(at, "case", "상담이력·메모 수정", who, seq=seq))
    return events, more


def _status_event(case: Case, row, before, who: str, seq: int) -> TimelineEvent:
    at = row.history_date
    note = ""
    reason = row.history_change_reason or ""
    if ": " in reason and not reason.startswith("결정"):
        note = _masked(reason.split(": ", 1)[1])
    if row.status == Status.DECIDED:
        label = f"처리 결정: {outcome_label(case.playbook, row.outcome)}"
        detail = ""
        if row.is_override:
            detail = f"제안과 다르게 결정 · 사유: {_masked(row.override_reason)}"
        return TimelineEvent(at, "decision", label, who, detail, seq=seq)
    if row.status == Status.WAITING:
        waiting = dict(WaitingOn.choices).get(row.waiting_on, "")
        label = f"대기: {waiting}" if waiting else "대기"
        return TimelineEvent(at, "case", label, who, note, seq=seq)
    if row.status == Status.CLOSED:
        return TimelineEvent(at, "case", "종결", who, note, seq=seq)
    if before.status == Status.CLOSED:
        return TimelineEvent(at, "case", "재오픈", who, note, seq=seq)
    if before.status == Status.WAITING:
        return TimelineEvent(at, "case", "처리 재개", who, note, seq=seq)
    label = f"상태: {Status(before.status).label} → {Status(row.status).label}"
    if row.status == Status.IN_PROGRESS and before.status == Status.NEW:
        label = "처리 시작"
    return TimelineEvent(at, "case", label, who, note, seq=seq)


def step_events(case: Case, limit: int) -> tuple[list[TimelineEvent], bool]:
    rows, more = _newest(
        CaseStep.history.filter(case_id=case.pk).select_related("history_user"),
        limit,
        "history_date",
        "history_id",
    )
    events: list[TimelineEvent] = []
    written: list = []
    for row, before in _pairs(rows):
        who = person(row.history_user)
        if row.history_type == "+":
            # A decision writes all its steps at once: one event per batch, not one per step.
            written.append(row)
            continue
        if before is None or row.status == before.status:
            continue
        status = dict(StepStatus.choices).get(row.status, row.status)
        if row.status == StepStatus.DONE:
            label = f"단계 완료: {row.label}"
        elif row.status == StepStatus.SKIPPED:
            label = f"단계 대체: {row.label}"
        elif row.status == StepStatus.PENDING:
            label = f"단계 다시 대기: {row.label}"
        else:
            label = f"단계 {status}: {row.label}"
        detail = _masked(row.history_change_reason or "")
        events.append(
            TimelineEvent(row.history_date, "step", label, who, detail, seq=row.history_id)
        )
    for batch in _batches(written):
        at = batch[0].history_date
        batch.sort(key=lambda r: r.order)
        detail = "\n".join(f"{r.order}. {r.label}" for r in batch)
        events.append(
            TimelineEvent(
                at,
                "step",
                f"처리 단계 작성 ({len(batch)}개)",
                person(batch[0].history_user),
                detail,
                seq=batch[0].history_id,
            )
        )
    return events, more


def _batches(rows) -> list[list]:
    """Step rows written together (one decision or revision: the same user, a moment apart)."""
    batches: list[list] = []
    for row in rows:
        last = batches[-1][-1] if batches else None
        if (
            last is not None
            and last.history_user_id == row.history_user_id
            and (row.history_date - last.history_date).total_seconds() < 2
        ):
            batches[-1].append(row)
        else:
            batches.append([row])
    return batches


def clock_events(case: Case, limit: int, now: datetime) -> tuple[list[TimelineEvent], bool]:
    rows, more = _newest(
        StepClock.history.filter(case_id=case.pk).select_related("history_user"),
        limit,
        "history_date",
        "history_id",
    )
    labels = _step_labels(case)
    stops = dict(ClockStop.choices)
    events: list[TimelineEvent] = []
    for row, before in _pairs(rows):
        who = person(row.history_user)
        step = labels.get(row.step_id, row.step_code)
        at, seq = row.history_date, row.history_id
        if row.history_type == "+":
            detail = f"기한 {_when(row.due_at)}"
            events.append(TimelineEvent(at, "clock", f"기한 시작: {step}", who, detail, seq=seq))
            continue
        if before is None:
            continue
        if row.stopped_at and not before.stopped_at:
            label = f"기한 종료: {step}"
            detail = stops.get(row.stop_reason, "")
            events.append(TimelineEvent(at, "clock", label, who, detail, seq=seq))
        elif row.paused_at and not before.paused_at:
            events.append(
                TimelineEvent(at, "clock", f"기한 일시정지: {step}", who, "고객 회신 대기", seq=seq)
            )
        elif before.paused_at and not row.paused_at:
            detail = f"새 기한 {_when(row.due_at)}"
            events.append(TimelineEvent(at, "clock", f"기한 재개: {step}", who, detail, seq=seq))
        elif row.due_at != before.due_at:
            detail = f"기한 {_when(row.due_at)}"
            events.append(TimelineEvent(at, "clock", f"기한 조정: {step}", who, detail, seq=seq))
        if row.notified_at and not before.notified_at:
            events.append(TimelineEvent(at, "clock", f"기한 초과 알림: {step}", SYSTEM, seq=seq))
    # Overdue, from the due time at read (not from the job's mark).
    current = StepClock.objects.filter(case_id=case.pk).only(
        "pk", "step_id", "step_code", "due_at", "stopped_at", "paused_at", "stop_reason"
    )
    for clock in current:
        if clock.stop_reason == ClockStop.SKIPPED:
            continue
        until = clock.stopped_at or clock.paused_at or now
        if until > clock.due_at:
            step = labels.get(clock.step_id, clock.step_code)
            detail = "기한 뒤에 완료" if clock.stopped_at else "아직 처리되지 않음"
            events.append(
                TimelineEvent(clock.due_at, "clock", f"기한 초과: {step}", SYSTEM, detail, seq=0)
            )
    return events, more


def message_events(case: Case, limit: int) -> tuple[list[TimelineEvent], bool]:
    from templates_app.models import OutboundMessage, report_label
    from templates_app.phones import mask_phone

    content_type = ContentType.objects.get_for_model(Case)
    rows, more = _newest(
        OutboundMessage.history.filter(
            content_type_id=content_type.pk, object_id=case.pk
        ).select_related("history_user", "template", "hand_sent_by"),
        limit,
        "history_date",
        "history_id",
    )
    statuses = dict(OutboundMessage.Status.choices)
    steps = _step_labels(case)
    audiences = {"customer": "고객", "driver": "기사"}
    events: list[TimelineEvent] = []
    for row, before in _pairs(rows):
        name = row.template.name if row.template_id and row.template else ""
        to = f"{audiences.get(row.audience, row.audience)} {mask_phone(row.recipient)}".strip()
        detail = f"{name} → {to}"
        if row.report_status and (before is None or before.report_status != row.report_status):
            # The carrier's delivery report (issue 16: callback or polling), by the system.
            report = f"{detail} · {_masked(row.report_message)}" if row.report_message else detail
            events.append(
                TimelineEvent(
                    row.reported_at or row.history_date,
                    "message",
                    f"문자 {report_label(row.report_status, row.report_code)}",
                    SYSTEM,
                    report,
                    seq=row.history_id,
                )
            )
        if before is not None and row.status == before.status:
            continue
        if row.status == OutboundMessage.Status.SENDING:
            continue
        who = person(row.history_user)
        status = row.status
        if status == "planned":
            label = "문자 작성 (단계 대기)"
            if row.step_id:
                detail += f" · {steps.get(row.step_id, '')} 단계에서 발송"
        elif status == "cancelled":
            label = "문자 발송 취소 (계획 변경)"
        elif row.history_type == "+" or before is None or before.status == "planned":
            label = "문자 발송 대기"
        elif status == "queued":
            label = "문자 재시도 대기"
            if row.last_error:
                detail += f" · 오류: {_masked(row.last_error)}"
        elif status == "sent":
            label = "문자 발송 완료"
            who = SYSTEM if row.history_user_id is None else who
        elif status == "failed":
            label = "문자 발송 실패"
            if row.last_error:
                detail += f" · 오류: {_masked(row.last_error)}"
        elif status == "dead_letter":
            # Issue 16: every attempt met a transient error; a lead sends it again.
            label = "문자 발송 보류 (재처리 대기)"
            who = SYSTEM if row.history_user_id is None else who
            if row.last_error:
                detail += f" · 오류: {_masked(row.last_error)}"
        elif status == "sent_by_hand":
            label = "문자 수동 발송 (CEMS)"
            if row.hand_sent_by_id:
                who = person(row.hand_sent_by)
            if row.hand_reason:
                detail += f" · 사유: {_masked(row.hand_reason)}"
        else:
            label = f"문자 {statuses.get(status, status)}"
        events.append(
            TimelineEvent(row.history_date, "message", label, who, detail, seq=row.history_id)
        )
    return events, more


def revision_events(case: Case, limit: int) -> tuple[list[TimelineEvent], bool]:
    rows, more = _newest_related(
        case,
        "fact_revisions",
        FactRevision.objects.filter(case_id=case.pk).select_related("created_by"),
        limit,
        "created_at",
        "number",
    )
    events = []
    for revision in rows:
        before = outcome_label(case.playbook, revision.outcome_before)
        after = outcome_label(case.playbook, revision.outcome_after)
        parts = []
        if revision.note:
            parts.append(f"사유: {_masked(revision.note)}")
        if revision.proposal_error:
            parts.append(f"새 제안 없음: {revision.proposal_error}")
        elif before != after:
            parts.append(f"제안: {before or '—'} → {after}")
        else:
            parts.append(f"제안: {after} (같은 결과)")
        if revision.replanned:
            parts.append("남은 처리 단계·문자를 새 제안으로 교체")
        events.append(
            TimelineEvent(
                revision.created_at,
                "revision",
                f"사실관계 수정 {revision.number}",
                person(revision.created_by),
                "\n".join(parts),
                changes=revision_changes(case.playbook, revision),
                seq=revision.number,
            )
        )
    return events, more


def post_events(case: Case, limit: int) -> tuple[list[TimelineEvent], bool]:
    rows, more = _newest(
        EscalationPost.history.filter(case_id=case.pk).select_related("history_user"),
        limit,
        "history_date",
        "history_id",
    )
    reasons = dict(PostReason.choices)
    events = []
    for row, before in _pairs(rows):
        who = person(row.history_user)
        board = row.board + (f" > {row.template}" if row.template else "")
        if row.history_type == "+":
            label = f"아지트 글 작성 대상: {board}"
            events.append(
                TimelineEvent(
                    row.history_date,
                    "post",
                    label,
                    who,
                    reasons.get(row.reason, ""),
                    seq=row.history_id,
                )
            )
        if row.link_url and (before is None or not before.link_url):
            automatic = row.delivery_status == AgitDelivery.POSTED
            events.append(
                TimelineEvent(
                    row.history_date,
                    "post",
                    f"아지트 {'자동 게시' if automatic else '게시 확인'}: {board}",
                    SYSTEM if automatic and row.history_user_id is None else who,
                    row.link_url,
                    seq=row.history_id,
                )
            )
        webhook = _agit_webhook_event(row, before, board, who)
        if webhook is not None:
            events.append(webhook)
    return events, more


def _agit_webhook_event(row, before, board: str, who: str) -> TimelineEvent | None:
    """The Agit webhook's status moves (issue 16): asked, retry after an error, failed.
    "Posted" is the link event above; "posting" (a worker's claim) is not news."""
    status = row.delivery_status
    was = before.delivery_status if before is not None else ""
    if status == was or status in ("", AgitDelivery.POSTING, AgitDelivery.POSTED):
        return None
    at, seq = row.history_date, row.history_id
    if status == AgitDelivery.QUEUED and was == AgitDelivery.POSTING:
        detail = f"오류: {_masked(row.last_error)}" if row.last_error else ""
        return TimelineEvent(
            at, "post", f"아지트 게시 재시도 대기: {board}", SYSTEM, detail, seq=seq
        )
    if status == AgitDelivery.QUEUED:
        label = "아지트 다시 게시 요청" if was == AgitDelivery.FAILED else "아지트 자동 게시 요청"
        return TimelineEvent(at, "post", f"{label}: {board}", who, seq=seq)
    if status == AgitDelivery.FAILED:
        detail = f"오류: {_masked(row.last_error)}" if row.last_error else ""
        return TimelineEvent(at, "post", f"아지트 게시 실패: {board}", SYSTEM, detail, seq=seq)
    return None


def email_events(case: Case, limit: int) -> tuple[list[TimelineEvent], bool]:
    """Case mails (issue 16): asked, sent, failed (with the error), a retry asked, a reply
    received (subject and masked sender). One query."""
    from kmcs_site.privacy import mask_email

    rows, more = _newest(
        CaseEmail.history.filter(case_id=case.pk).select_related("history_user"),
        limit,
        "history_date",
        "history_id",
    )
    events: list[TimelineEvent] = []
    for row, before in _pairs(rows):
        was = before.status if before is not None else None
        if row.status == was or row.status == EmailStatus.SENDING:
            continue
        at, seq, who = row.history_date, row.history_id, person(row.history_user)
        subject = _masked(row.subject)
        if row.direction == EmailDirection.INBOUND:
            if row.history_type == "+":
                detail = f"{subject} · 보낸 사람: {mask_email(row.from_address)}"
                events.append(TimelineEvent(at, "email", "메일 회신 수신", SYSTEM, detail, seq=seq))
            continue
        to = ", ".join(mask_email(a) for a in [*(row.to or []), *(row.cc or [])])
        detail = f"{subject} → {to}"
        if row.status == EmailStatus.QUEUED and was is None:
            events.append(TimelineEvent(at, "email", "메일 발송 요청", who, detail, seq=seq))
        elif row.status == EmailStatus.QUEUED and was == EmailStatus.FAILED:
            events.append(TimelineEvent(at, "email", "메일 재발송 요청", who, detail, seq=seq))
        elif row.status == EmailStatus.QUEUED:
            error = f" · 오류: {_masked(row.error)}" if row.error else ""
            events.append(
                TimelineEvent(at, "email", "메일 재시도 대기", SYSTEM, detail + error, seq=seq)
            )
        elif row.status == EmailStatus.SENT:
            events.append(TimelineEvent(at, "email", "메일 발송 완료", SYSTEM, detail, seq=seq))
        elif row.status == EmailStatus.FAILED:
            error = f" · 오류: {_masked(row.error)}" if row.error else ""
            events.append(
                TimelineEvent(at, "email", "메일 발송 실패", SYSTEM, detail + error, seq=seq)
            )
    return events, more


def contact_events(case: Case, limit: int) -> tuple[list[TimelineEvent], bool]:
    rows, more = _newest_related(
        case,
        "contact_attempts",
        ContactAttempt.objects.filter(case_id=case.pk).select_related("by"),
        limit,
        "at",
        "pk",
    )
    events = []
    for attempt in rows:
        label = f"OB {attempt.get_target_display()} {attempt.get_result_display()}"
        if attempt.is_special:
            label += " (특이사항)"
        events.append(
            TimelineEvent(
                attempt.at, "contact", label, person(attempt.by), _masked(attempt.note), seq=0
            )
        )
    return events, more


def unmask_events(case: Case, limit: int) -> tuple[list[TimelineEvent], bool]:
    rows, more = _newest(
        UnmaskLog.objects.filter(case_id=case.pk).select_related("by"), limit, "at", "pk"
    )
    names = {"customer_phone": "고객 전화번호", "driver_phone": "기사 전화번호"}
    return [
        TimelineEvent(
            log.at,
            "unmask",
            f"전화번호 조회: {names.get(log.field, log.field)}",
            person(log.by),
            f"사유: {_masked(log.reason)}",
        )
        for log in rows
    ], more


def attachment_events(case: Case, limit: int) -> tuple[list[TimelineEvent], bool]:
    from cases.models import CaseAttachment

    rows, more = _newest_related(
        case,
        "attachments",
        CaseAttachment.objects.filter(case_id=case.pk).select_related("uploaded_by"),
        limit,
        "uploaded_at",
        "pk",
    )
    return [
        TimelineEvent(
            a.uploaded_at,
            "attachment",
            f"첨부파일 추가: {a.get_kind_display()} ({a.detected_format})",
            person(a.uploaded_by),
            _masked(a.note),
            attachment=(case.pk, a.pk, a.is_image),
        )
        for a in rows
    ], more


def link_events(case: Case, limit: int) -> tuple[list[TimelineEvent], bool]:
    """Links made on this case or to it (issue 14.3): the original's timeline shows the
    duplicates merged into it, the duplicate's where it went."""
    from django.db.models import Q

    from cases.models import CaseLink, LinkKind

    rows, more = _newest(
        CaseLink.objects.filter(Q(case_id=case.pk) | Q(other_id=case.pk)).select_related(
            "created_by"
        ),
        limit,
        "created_at",
        "pk",
    )
    events = []
    for link in rows:
        mine = link.case_id == case.pk
        other = link.other_id if mine else link.case_id
        if link.kind == LinkKind.MERGED:
            label = (
                f"병합: 케이스 #{other}로 병합됨 (이 케이스 종결)"
                if mine
                else f"병합: 중복 케이스 #{other}가 이 케이스로 병합됨"
            )
        else:
            label = f"관련 케이스 연결: #{other} ({link.get_kind_display()})"
        events.append(
            TimelineEvent(
                link.created_at, "link", label, person(link.created_by), _masked(link.note)
            )
        )
    return events, more
