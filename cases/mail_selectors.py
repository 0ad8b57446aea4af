"""Reads of case e-mail (issue 16 item 2): the draft of the mail the current step asks for,
the case's mails as the case page lists them, and the mails a user may see (admin).

The draft is computed here, not in the template or the view: the agent may edit every field
before :func:`cases.services.emails.case_email_send` validates and queues it.

- seed 001 (``parking_operations``, step ``follow_route``): the decided route's e-mail channel.
  Its To/Cc are the channel's recipients as ``partners.Contact`` rows, resolved by
  ``partners.selectors.route_for`` when the case was decided (the proposal snapshot keeps them;
  contacts not in force today are dropped). Subject and body are the step's draft (the text
  after the procedure lines).
- seed 003 (``ev_charging``, step ``email_cpo``): the CPO's contact in force
  (``partners.selectors.contacts_in_force``) whose operator name, role label or display name is
  the case's ``cpo_name`` fact; subject is the first line of the step's mail text, body the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from cases.models import Case, CaseEmail, StepStatus
from kmcs_site.permissions import user_can, user_roles
from kmcs_site.privacy import mask_email

#: Plan steps carried out by a mail to a CPO or partner (a reply stops their clock).
MAIL_STEPS = ("email_cpo", "follow_route")


@dataclass(frozen=True)
class EmailDraft:
    step_code: str
    step_label: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: str
    #: Where To/Cc came from, or why they are empty (shown under the form).
    source: str = ""


@dataclass(frozen=True)
class EmailRow:
    """One mail as the case page lists it (addresses masked for roles that see masked data)."""

    email: CaseEmail
    sender: str
    to: str
    cc: str
    can_retry: bool = False
    when: object = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _pending_mail_step(case: Case):
    for step in case.steps.all():  # prefetched in order by case_detail_queryset
        if step.status == StepStatus.PENDING and step.code in MAIL_STEPS:
            return step
    return None


def _split_subject(text: str, fallback: str) -> tuple[str, str]:
    lines = (text or "").strip().splitlines()
    if lines and lines[0].startswith("["):
        return lines[0].strip(), "\n".join(lines[1:]).strip()
    return fallback, (text or "").strip()


def _route_recipients(case: Case, at=None) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    from partners.selectors import contacts_in_force

    route = (case.proposal or {}).get("route") or {}
    to = tuple(route.get("recipients_to") or ())
    cc = tuple(route.get("recipients_cc") or ())
    if not to and not cc:
        return (), (), "처리 경로에 메일 수신자가 없습니다: 받는 사람을 입력해 주세요."
    # Contacts replaced since the decision (effective_to passed, deactivated) are not mailed.
    in_force = {
        email.lower()
        for email in contacts_in_force(at)
        .filter(email__in=[*to, *cc])
        .values_list("email", flat=True)
    }
    kept_to = tuple(a for a in to if a.lower() in in_force)
    kept_cc = tuple(a for a in cc if a.lower() in in_force)
    note = f"처리 경로의 수신·참조 ({route.get('channel_target') or '메일'})"
    dropped = len(to) + len(cc) - len(kept_to) - len(kept_cc)
    if dropped:
        note += f" · 현재 적용되지 않는 담당자 {dropped}명 제외"
    return kept_to, kept_cc, note


def _cpo_recipients(case: Case, at=None) -> tuple[tuple[str, ...], str]:
    from partners.selectors import contacts_in_force

    name = str((case.facts or {}).get("cpo_name") or "").strip()
    if not name:
        return (), "CPO가 사실관계에 없습니다: 받는 사람을 입력해 주세요."
    found = tuple(
        dict.fromkeys(
            contacts_in_force(at)
            .exclude(email="")
            .filter(Q(partner__name__iexact=name) | Q(label__iexact=name) | Q(name__iexact=name))
            .order_by("label", "pk")
            .values_list("email", flat=True)
        )
    )
    if not found:
        return (), f"'{name}'의 담당자 연락처가 없습니다: 받는 사람을 입력해 주세요."
    return found, f"CPO 담당자 연락처 ({name})"


def case_email_draft(*, case: Case, at=None) -> EmailDraft | None:
    """The mail the case's next pending mail step asks for, or None (no such step, or the
    route is not an e-mail route). Reads at most one query (the contacts)."""
    step = _pending_mail_step(case)
    if step is None or case.status == "closed":
        return None
    if step.code == "follow_route":
        route = (case.proposal or {}).get("route") or {}
        if route.get("channel_kind") != "email":
            return None
        to, cc, source = _route_recipients(case, at)
        script = step.script or ""
        draft = script.split("\n\n", 1)[1] if "\n\n" in script else script
        subject, body = _split_subject(draft, case.record_title or step.label)
        if subject.startswith("[") and not body:
            body = draft.strip()
        return EmailDraft(step.code, step.label, to, cc, subject, body or draft.strip(), source)
    to, source = _cpo_recipients(case, at)
    subject, body = _split_subject(step.script, step.label)
    return EmailDraft(step.code, step.label, to, (), subject, body, source)


def _may_see_addresses(user, case: Case) -> bool:
    """Who works the case's mail (sends it) reads its addresses; others see them masked."""
    return user_can(user, "cases.caseemail.add", case)


def case_email_rows(*, case: Case, user) -> list[EmailRow]:
    """The case's mails, oldest first, in one query whatever their number."""
    full = _may_see_addresses(user, case)
    can_retry = user_can(user, "cases.caseemail.retry", case)

    def show(address: str) -> str:
        return address if full else mask_email(address)

    rows = []
    for email in case.emails.select_related("created_by").order_by("created_at", "pk"):
        rows.append(
            EmailRow(
                email=email,
                sender=show(email.from_address),
                to=", ".join(show(a) for a in email.to),
                cc=", ".join(show(a) for a in email.cc),
                can_retry=can_retry
                and email.direction == "outbound"
                and email.status == "failed"
                and case.status != "closed",
                when=email.received_at or email.sent_at or email.created_at,
            )
        )
    return rows


def emails_visible_to(*, user, emails: QuerySet | None = None) -> QuerySet:
    """``emails`` (default: every case mail) narrowed to the cases ``user`` may see (the
    outbox admin's rule, ``templates_app.selectors.messages_visible_to``)."""
    from cases.access import is_agent_only
    from cases.selectors import case_list_visible_to

    queryset = CaseEmail.objects.all() if emails is None else emails
    if not user_can(user, "cases.caseemail.view"):
        return queryset.none()
    if user.is_superuser or not is_agent_only(user_roles(user)):
        return queryset
    return queryset.filter(case_id__in=case_list_visible_to(user=user).values("pk"))
