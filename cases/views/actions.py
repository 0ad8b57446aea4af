"""One POST, one service: the buttons of the case page.

Each view names the action that opens it (the role gate, 403) and the one service it calls;
the service applies the object rules and the workflow and refuses with a Korean ``CaseError``
that :class:`~cases.views.base.CaseActionView` shows as a message (nothing changed).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views import View

from cases.exceptions import CaseError, ProposalFailed
from cases.forms import (
    AnswerForm,
    ContactAttemptForm,
    DecideForm,
    EscalationPostForm,
    ForceCloseForm,
    OverrideForm,
    PostLinkForm,
    RecordForm,
    SentByHandForm,
    StepForm,
    StepNAForm,
    TransitionForm,
    UnmaskForm,
)
from cases.models import Case
from cases.proposals import proposal_fingerprint
from cases.services import (
    case_answer_save,
    case_decide,
    case_force_close,
    case_message_sent_by_hand,
    case_phone_unmask,
    case_propose,
    case_record_update,
    case_step_complete,
    case_step_mark_na,
    case_step_send,
    case_take,
    case_transition,
    contact_attempt_log,
    escalation_post_create,
    escalation_post_mark_posted,
)
from cases.views.base import (
    ActionRequiredMixin,
    CaseActionView,
    case_url,
    is_htmx,
    visible_case_or_404,
)
from kmcs_site.permissions import user_can


class TakeView(CaseActionView):
    action = "cases.case.take"

    def perform(self, case: Case, form) -> str:
        case_take(case=case, actor=self.request.user)
        return f"케이스 #{case.pk}를 가져왔습니다."


class DecideView(CaseActionView):
    """Accept the playbook's proposal exactly as the page showed it (fingerprint)."""

    action = "cases.case.decide"
    form_class = DecideForm

    def perform(self, case: Case, form) -> str:
        proposal = case_propose(case=case)
        if proposal_fingerprint(proposal) != form.cleaned_data["fingerprint"]:
            raise ProposalFailed(
                "화면을 연 뒤 제안 내용이 바뀌었습니다. 바뀐 제안을 확인하고 다시 결정해 주세요."
            )
        case_decide(case=case, actor=self.request.user, proposal=proposal)
        drafted = case.outbound_messages.filter(status="planned").count()
        return "처리 결정을 저장했습니다. 처리 단계를 순서대로 진행해 주세요" + (
            f" (문자 {drafted}건은 해당 단계에서 발송합니다)." if drafted else "."
        )


class OverrideView(CaseActionView):
    """Decide another outcome than the playbook's, with the reason (leads and the manager)."""

    action = "cases.case.override"
    form_class = OverrideForm

    def get_form(self):
        # The select holds the case's playbook outcomes (post() has checked visibility).
        playbook = Case.objects.values_list("playbook", flat=True).get(pk=self.kwargs["case_id"])
        return OverrideForm(self.request.POST, playbook=playbook)

    def perform(self, case: Case, form) -> str:
        from cases.labels import outcome_label

        data = form.cleaned_data
        case_decide(
            case=case,
            actor=self.request.user,
            override_outcome=data["outcome"],
            override_reason=data["reason"],
        )
        how = " (제안과 다르게 결정)" if case.is_override else " (제안과 같은 결과)"
        return (
            f"처리 결과를 '{outcome_label(case.playbook, case.outcome)}'(으)로 결정했습니다{how}."
        )


class StepCompleteView(CaseActionView):
    action = "cases.casestep.change"
    form_class = StepForm
    htmx_partial = True

    def perform(self, case: Case, form) -> str:
        step = case_step_complete(
            case=case, step_code=form.cleaned_data["step_code"], actor=self.request.user
        )
        return f"'{step.label}' 단계를 완료했습니다."


class StepSendView(CaseActionView):
    """Send the drafted SMS of a step the case has reached (refused, naming the step, before)."""

    action = "cases.casestep.send"
    form_class = StepForm
    htmx_partial = True

    def perform(self, case: Case, form) -> str:
        step, released = case_step_send(
            case=case, step_code=form.cleaned_data["step_code"], actor=self.request.user
        )
        if not released:
            return f"'{step.label}' 단계의 문자는 이미 발송 요청되었습니다 (다시 보내지 않습니다)."
        return (
            f"'{step.label}' 단계의 문자 {released}건을 발송 대기열에 넣었습니다. "
            "발송되면 단계가 완료됩니다."
        )


class StepMarkNAView(CaseActionView):
    """Mark a step not applicable, with the reason (its drafted SMS is not sent)."""

    action = "cases.casestep.mark_na"
    form_class = StepNAForm
    htmx_partial = True

    def perform(self, case: Case, form) -> str:
        step = case_step_mark_na(
            case=case,
            step_code=form.cleaned_data["step_code"],
            reason=form.cleaned_data["reason"],
            actor=self.request.user,
        )
        return f"'{step.label}' 단계를 '해당 없음'으로 처리했습니다."


class ForceCloseView(CaseActionView):
    """A lead closes a case whose checklist is not finished, with a reason (recorded)."""

    action = "cases.case.force_close"
    form_class = ForceCloseForm

    def perform(self, case: Case, form) -> str:
        case_force_close(case=case, reason=form.cleaned_data["reason"], actor=self.request.user)
        return "케이스를 강제 종결했습니다. 사유와 미완료 단계가 이력에 남았습니다."


class ContactLogView(CaseActionView):
    action = "cases.contactattempt.add"
    form_class = ContactAttemptForm

    def perform(self, case: Case, form) -> str:
        attempt = contact_attempt_log(case=case, actor=self.request.user, **form.cleaned_data)
        if attempt.escalation_post_id:
            return (
                "OB 기록을 남겼습니다. 아지트 작성 기준에 따라 아지트 글이 만들어졌습니다: "
                "아지트에 작성한 뒤 링크를 입력해 주세요."
            )
        return "OB 기록을 남기고 통화 내용을 운영메모에 기재했습니다."


class EscalationPostCreateView(CaseActionView):
    action = "cases.escalationpost.add"
    form_class = EscalationPostForm

    def perform(self, case: Case, form) -> str:
        post = escalation_post_create(case=case, actor=self.request.user, **form.cleaned_data)
        return f"아지트 글({post.board})을 기록했습니다."


class EscalationPostLinkView(CaseActionView):
    action = "cases.escalationpost.change"
    form_class = PostLinkForm

    def perform(self, case: Case, form) -> str:
        post = case.escalation_posts.filter(pk=form.cleaned_data["post_id"]).first()
        if post is None:
            raise CaseError("이 케이스의 아지트 글이 아닙니다.")
        escalation_post_mark_posted(
            post=post, link_url=form.cleaned_data["link_url"], actor=self.request.user
        )
        return "아지트 링크를 저장했습니다."


class AnswerSaveView(CaseActionView):
    """Seed 002 "SMS 선발송 후 답변내용 저장": the service refuses until the SMS went out."""

    action = "cases.case.change"
    form_class = AnswerForm

    def perform(self, case: Case, form) -> str:
        case_answer_save(case=case, text=form.cleaned_data["text"], actor=self.request.user)
        return "답변내용을 저장했습니다."


class RecordView(CaseActionView):
    """상담이력 · 메모: the consultation record and memos (closed cases are read-only)."""

    action = "cases.case.change"
    form_class = RecordForm

    def perform(self, case: Case, form) -> str:
        case_record_update(case=case, actor=self.request.user, **form.cleaned_data)
        return "상담이력과 메모를 저장했습니다."


class MessageSentByHandView(CaseActionView):
    """Record that one of this case's messages went out through CEMS by hand (SMS first)."""

    action = "templates_app.outboundmessage.mark_sent_by_hand"
    form_class = SentByHandForm

    def perform(self, case: Case, form) -> str:
        message = case.outbound_messages.filter(pk=form.cleaned_data["message_id"]).first()
        if message is None:
            raise CaseError("이 케이스의 문자가 아닙니다.")
        # The outbox admin's object rule (kmcs_site.permissions), not a rule of this view.
        if not user_can(self.request.user, self.action, message):
            raise CaseError("이 케이스의 문자를 수동 발송으로 기록할 권한이 없습니다.")
        # The case's rule: a drafted message counts only once its step is reached; recording
        # it ticks the step (cases.services.plan).
        message = case_message_sent_by_hand(
            case=case,
            message_id=message.pk,
            reason=form.cleaned_data["reason"],
            actor=self.request.user,
        )
        return f"'{message.template.name}' 문자를 수동 발송(CEMS)으로 기록했습니다."


class TransitionView(CaseActionView):
    """start / wait / resume / close / reopen (``decide`` has its own view)."""

    action = "cases.case.change"
    form_class = TransitionForm

    def perform(self, case: Case, form) -> str:
        data = form.cleaned_data
        case_transition(
            case=case,
            transition=data["transition"],
            actor=self.request.user,
            waiting_on=data["waiting_on"] or None,
            note=data["note"],
        )
        return f"상태를 '{case.get_status_display()}'(으)로 바꿨습니다."


class UnmaskView(ActionRequiredMixin, View):
    """Show one full phone number to a lead or manager, logged (UnmaskLog) with the reason.

    The number is rendered in this response only (never stored in the session or the page
    the next time); htmx swaps it in place of the masked number.
    """

    action = "cases.case.unmask"
    http_method_names = ["post"]

    def post(self, request, case_id):
        case = visible_case_or_404(request.user, case_id)
        form = UnmaskForm(request.POST)
        error = ""
        number = ""
        if not form.is_valid():
            error = " ".join(
                f"{form.fields[n].label}: {e}" for n, es in form.errors.items() for e in es
            )
        else:
            try:
                number = case_phone_unmask(case=case, actor=request.user, **form.cleaned_data)
            except CaseError as exc:
                error = exc.message
        if is_htmx(request):
            # htmx swaps the answer in place: an error is shown there too, not a redirect.
            context = {"case": case, "number": number, "error": error}
            return render(request, "cases/workspace/_unmasked.html", context)
        if error:
            messages.error(request, error)
            return redirect(case_url(case.pk))
        return render(request, "cases/workspace/unmasked.html", {"case": case, "number": number})


# --- case e-mail and Agit webhook (issue 16) -------------------------------------------------


def _field_errors(exc) -> str:
    """A refused mail's Korean field errors as one message (nothing was saved)."""
    from cases.exceptions import FactsInvalid

    if isinstance(exc, FactsInvalid) and exc.errors:
        return " ".join(m for messages in exc.errors.values() for m in messages)
    return exc.message


class CaseEmailSendView(CaseActionView):
    """Send the CPO / partner mail of the current step (To/Cc/body pre-filled, edited by the
    agent); ``case_email_send`` validates and queues it (sent after commit)."""

    action = "cases.caseemail.add"

    def get_form(self):
        from cases.mail_forms import CaseEmailForm

        return CaseEmailForm(self.request.POST)

    def perform(self, case: Case, form) -> str:
        from cases.services.emails import case_email_send

        data = form.cleaned_data
        try:
            email = case_email_send(
                case=case,
                actor=self.request.user,
                to=[data["to"]],
                cc=[data["cc"]],
                subject=data["subject"],
                body=data["body"],
                step_code=data["step_code"] or "",
            )
        except CaseError as exc:
            raise CaseError(_field_errors(exc)) from exc
        return f"메일 '{email.subject}'을(를) 발송 대기열에 넣었습니다."


class CaseEmailRetryView(CaseActionView):
    """A lead sends a failed mail again (same Message-ID): ``case_email_retry``."""

    action = "cases.caseemail.retry"

    def get_form(self):
        from cases.mail_forms import EmailRowForm

        return EmailRowForm(self.request.POST)

    def perform(self, case: Case, form) -> str:
        from cases.services.emails import case_email_retry

        email = case.emails.filter(pk=form.cleaned_data["email_id"]).first()
        if email is None:
            raise CaseError("이 케이스의 메일이 아닙니다.")
        case_email_retry(email=email, actor=self.request.user)
        return f"메일 '{email.subject}'을(를) 다시 발송 대기열에 넣었습니다."


class EscalationPostPublishView(CaseActionView):
    """The "아지트에 게시" button: KMCS writes a post still to be written through the Agit webhook."""

    action = "cases.escalationpost.publish"

    def get_form(self):
        from cases.mail_forms import PostRowForm

        return PostRowForm(self.request.POST)

    def perform(self, case: Case, form) -> str:
        from cases.services.agit import escalation_post_publish

        post = case.escalation_posts.filter(pk=form.cleaned_data["post_id"]).first()
        if post is None:
            raise CaseError("이 케이스의 아지트 글이 아닙니다.")
        escalation_post_publish(post=post, actor=self.request.user)
        return f"아지트 글({post.board})을 게시 대기열에 넣었습니다. 게시되면 링크가 저장됩니다."


class EscalationPostRetryView(CaseActionView):
    """A lead posts a failed Agit post again (same idempotency key: never posted twice)."""

    action = "cases.escalationpost.retry"

    def get_form(self):
        from cases.mail_forms import PostRowForm

        return PostRowForm(self.request.POST)

    def perform(self, case: Case, form) -> str:
        from cases.services.agit import escalation_post_retry

        post = case.escalation_posts.filter(pk=form.cleaned_data["post_id"]).first()
        if post is None:
            raise CaseError("이 케이스의 아지트 글이 아닙니다.")
        escalation_post_retry(post=post, actor=self.request.user)
        return f"아지트 글({post.board})을 다시 게시 대기열에 넣었습니다."
