"""Who is told what: one function per event of issue 14 item 5, called by the service that
makes the change, inside its transaction. Each picks the recipients, the Korean text, the link
(a path) and the dedupe key, and hands them to :func:`notifications.services.notification_create`.

Nobody is told about their own act (the agent who takes a case, the lead who revises facts on
their own case): a notification is news from somebody else or from the system.
"""

from __future__ import annotations

from django.urls import reverse

from .models import Kind
from .services import notification_create


def case_path(case_id: int) -> str:
    return reverse("workspace:case", kwargs={"case_id": case_id})


def _case_title(case) -> str:
    return f"케이스 #{case.pk} ({case.get_playbook_display()})"


def notify_case_assigned(*, case, actor, at=None):
    """'케이스 배정': the new assignee, unless they took it themselves."""
    assignee = case.assignee if case.assignee_id else None
    if assignee is None or (actor is not None and actor.pk == assignee.pk):
        return None
    by = actor.get_full_name() or actor.get_username() if actor is not None else "시스템"
    return notification_create(
        recipient=assignee,
        kind=Kind.CASE_ASSIGNED,
        title=f"{_case_title(case)} 배정",
        body=f"{by} 님이 케이스를 배정했습니다.",
        path=case_path(case.pk),
        case=case,
        at=at,
    )


def notify_step_overdue(*, clock, at=None):
    """'처리 기한 초과': the case's assignee, once per step (however often the job runs)."""
    case = clock.case
    if not case.assignee_id:
        return None
    step = clock.step
    return notification_create(
        recipient=case.assignee,
        kind=Kind.STEP_OVERDUE,
        title=f"{_case_title(case)} 기한 초과: {step.order}. {step.label}"[:200],
        body=f"처리 기한 {clock.due_at:%Y-%m-%d %H:%M}이 지났습니다.",
        path=case_path(case.pk),
        case=case,
        dedupe_key=f"overdue:step:{step.pk}",
        at=at,
    )


def notify_facts_revised(*, case, revision, actor, labels, at=None):
    """'사실관계 수정': the assignee when somebody else revised their case."""
    if not case.assignee_id or (actor is not None and actor.pk == case.assignee_id):
        return None
    by = (actor.get_full_name() or actor.get_username()) if actor is not None else "시스템"
    return notification_create(
        recipient=case.assignee,
        kind=Kind.FACTS_REVISED,
        title=f"{_case_title(case)} 사실관계 수정 {revision.number}",
        body=f"{by}: {', '.join(labels)}" + (f"\n사유: {revision.note}" if revision.note else ""),
        path=case_path(case.pk),
        case=case,
        dedupe_key=f"revision:{revision.pk}",
        at=at,
    )


def notify_message_failed(*, message, case=None, at=None) -> list:
    """'발송 실패' of an SMS (failed for good, dead letter, or the provider's failure report): who
    queued it and the assignee of its case. Once per message, status and attempt."""
    if case is None:
        from cases.access import message_case

        case = message_case(message)
    recipients = {}
    if message.queued_by_id:
        recipients[message.queued_by_id] = message.queued_by
    if case is not None and case.assignee_id:
        recipients[case.assignee_id] = case.assignee
    state = message.get_status_display()
    if message.report_status == "failed":
        state = f"수신 실패 ({message.report_code})"
    path = (
        case_path(case.pk)
        if case is not None
        else reverse("admin:templates_app_outboundmessage_change", args=[message.pk])
    )
    where = f"{_case_title(case)} " if case is not None else ""
    made = []
    for user in recipients.values():
        row = notification_create(
            recipient=user,
            kind=Kind.MESSAGE_FAILED,
            title=f"{where}문자 발송 실패: {message.template.name}"[:200],
            body=f"상태: {state}\n{(message.last_error or message.report_message)[:300]}",
            path=path,
            case=case,
            dedupe_key=f"message:{message.pk}:{message.status}:{message.attempts}:"
            f"{message.report_status or ''}",
            at=at,
        )
        if row is not None:
            made.append(row)
    return made


def notify_email_failed(*, email, at=None) -> list:
    """'발송 실패' of a case e-mail (a CPO or partner mail the SMTP server refused, or that ran
    out of attempts): who wrote it and the assignee of its case. Once per mail and attempt (a
    lead's retry that fails again is news again)."""
    case = email.case
    recipients = {}
    if email.created_by_id:
        recipients[email.created_by_id] = email.created_by
    if case.assignee_id:
        recipients[case.assignee_id] = case.assignee
    made = []
    for user in recipients.values():
        row = notification_create(
            recipient=user,
            kind=Kind.MESSAGE_FAILED,
            title=f"{_case_title(case)} 메일 발송 실패: {email.subject}"[:200],
            body=f"받는 사람: {', '.join(email.to)}\n{(email.error or '')[:300]}",
            path=case_path(case.pk),
            case=case,
            dedupe_key=f"email:{email.pk}:failed:{email.attempts}",
            at=at,
        )
        if row is not None:
            made.append(row)
    return made


def notify_payout_approval(*, payout, at=None) -> list:
    """'지급 승인 요청': every active lead and manager who may approve it (four-eyes: never the
    person who created it)."""
    from django.contrib.auth import get_user_model

    from kmcs_site.permissions import LEADS_AND_MANAGER

    approvers = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[r.value for r in LEADS_AND_MANAGER])
        .exclude(pk=payout.created_by_id)
        .distinct()
        .order_by("pk")
    )
    path = reverse("admin:fines_finepayout_change", args=[payout.pk])
    made = []
    for user in approvers:
        row = notification_create(
            recipient=user,
            kind=Kind.PAYOUT_APPROVAL,
            title=f"과태료 지급 #{payout.pk} 승인 대기 ({payout.amount:,}원)",
            body=f"콜 {payout.call_id}, 승인 필요 사유: {payout.approval_reason}",
            path=path,
            dedupe_key=f"payout_approval:{payout.pk}",
            at=at,
        )
        if row is not None:
            made.append(row)
    return made


def notify_payout_check(*, payout_ids: list[int], at=None) -> list:
    """'지급 확인 필요': every active lead (팀장·부팀장, who settle it by hand), once per payout
    and transfer request (a transfer sent again after the bank said "none" is news again)."""
    from django.contrib.auth import get_user_model

    from fines.models import BankTransfer
    from kmcs_site.permissions import LEADS

    leads = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[r.value for r in LEADS])
        .distinct()
        .order_by("pk")
    )
    transfers = BankTransfer.objects.filter(payout_id__in=payout_ids).select_related("payout")
    made = []
    for transfer in transfers.order_by("payout_id"):
        payout = transfer.payout
        for user in leads:
            row = notification_create(
                recipient=user,
                kind=Kind.PAYOUT_CHECK,
                title=f"과태료 지급 #{payout.pk} 확인 필요 ({payout.amount:,}원)",
                body=(
                    "은행 이체결과조회로도 결과를 알 수 없습니다. 다시 보내지 않았습니다. "
                    "은행에 확인한 뒤 '확인 필요 건 수동 확인'으로 기록하세요.\n"
                    f"마지막 조회 오류: {transfer.last_inquiry_error or '-'}"
                ),
                path=reverse("admin:fines_finepayout_change", args=[payout.pk]),
                dedupe_key=f"payout_check:{payout.pk}:{transfer.requested_at:%Y%m%d%H%M%S}",
                at=at,
            )
            if row is not None:
                made.append(row)
    return made


def notify_reply_received(*, email, case, fact_label: str = "", at=None):
    """'회신 메일 수신': the assignee, once per stored reply."""
    if not case.assignee_id:
        return None
    body = f"보낸 사람: {email.from_address}\n제목: {email.subject}"
    if fact_label:
        body += f"\n사실관계 '{fact_label}'에 회신 내용을 기록했습니다."
    return notification_create(
        recipient=case.assignee,
        kind=Kind.REPLY_RECEIVED,
        title=f"{_case_title(case)} 회신 도착",
        body=body,
        path=case_path(case.pk),
        case=case,
        dedupe_key=f"reply:{email.pk}",
        at=at,
    )
