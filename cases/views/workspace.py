"""The agent workspace: landing, queue, case list, case page, new case (read screens + intake).

Every list comes from a scoped selector (``case_queue_for`` / ``case_list_visible_to``), every
case from ``case_get_for_user_or_404``: an agent never sees another agent's case (404).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from cases.exceptions import CaseError, FactsInvalid
from cases.forms import (
    AnswerForm,
    CaseFilterForm,
    ContactAttemptForm,
    EscalationPostForm,
    OverrideForm,
    RecordForm,
    TransitionForm,
    UnmaskForm,
    facts_form_class,
)
from cases.models import PlaybookCode, Status
from cases.playbooks import PLAYBOOKS
from cases.selectors import (
    QUEUE_STATUSES,
    TABLE_DEFERRED,
    case_few_visible_to,
    case_get_for_user_or_404,
    case_list_visible_to,
    case_panel_rows,
    case_queue_counts,
    case_queue_for,
)
from cases.services.attachments import case_create_with_attachments
from cases.views.attachments import case_attachment_context
from cases.views.base import ActionRequiredMixin, case_url, is_htmx
from cases.views.presenters import case_page
from cases.workspace_forms import QueueFilterForm
from kmcs_site.pagination import DEFAULT_PER_PAGE, page_number, peek_paginate
from kmcs_site.permissions import user_can


class LandingView(View):
    """``/``: each role to its place (leads -> admin, agents -> queue, auditors -> history)."""

    http_method_names = ["get", "head"]

    def get(self, request):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user_can(user, "workspace.home.admin"):
            return redirect("admin:index")
        if user_can(user, "workspace.queue.read"):
            return redirect("workspace:queue")
        if user_can(user, "audit.history.read"):
            return redirect("audit:history")
        raise PermissionDenied("이 계정으로 볼 수 있는 화면이 없습니다.")


class _CaseTableView(ActionRequiredMixin, View):
    """A filtered, paginated (no COUNT) table of cases; htmx asks for the table alone."""

    http_method_names = ["get", "head"]
    template_name = ""
    table_template_name = "cases/workspace/_case_table.html"
    form_class = CaseFilterForm
    statuses = None  # statuses the filter offers (None: all)
    per_page = DEFAULT_PER_PAGE

    def cases(self, user, form):
        raise NotImplementedError

    def extra_context(self, request) -> dict:
        return {}

    def get(self, request):
        form = self.form_class(request.GET or None, statuses=self.statuses)
        cases = self.cases(request.user, form)
        # A filter value the form refuses shows its error and no rows, never the unfiltered list.
        cases = (
            cases.none()
            if form.is_bound and not form.is_valid()
            else cases.filter(**form.filters())
        )
        page = peek_paginate(
            cases, number=page_number(request.GET.get("page")), per_page=self.per_page
        )
        context = {"form": form, "page": page, "cases": page.object_list}
        if is_htmx(request):
            return render(request, self.table_template_name, context)
        return render(request, self.template_name, {**context, **self.extra_context(request)})


class QueueView(_CaseTableView):
    """내 큐: every case still to work (new, in progress, waiting, decided but not closed), mine
    first, with age, next due time and overdue marks computed at read, sortable by due time or
    age, and a count per state (one aggregate query)."""

    action = "workspace.queue.read"
    template_name = "cases/workspace/queue.html"
    table_template_name = "cases/workspace/_queue_table.html"
    form_class = QueueFilterForm
    statuses = QUEUE_STATUSES

    def cases(self, user, form):
        sort = form.sort_order() if form.is_bound else ""
        return case_queue_for(user=user, sort=sort)

    def extra_context(self, request) -> dict:
        counts = case_queue_counts(user=request.user)
        states = [(status, Status(status).label, counts[str(status)]) for status in QUEUE_STATUSES]
        return {"counts": counts, "states": states, "now": timezone.now()}


class CaseListView(_CaseTableView):
    """Every case I may see (any status), newest first."""

    action = "workspace.case.read"
    template_name = "cases/workspace/case_list.html"

    def cases(self, user, form):
        return case_list_visible_to(user=user).defer(*TABLE_DEFERRED)


class CaseDetailView(ActionRequiredMixin, View):
    action = "workspace.case.read"
    http_method_names = ["get", "head"]

    def get(self, request, case_id):
        case = case_get_for_user_or_404(user=request.user, case_id=case_id)
        page = case_page(case=case, user=request.user)
        context = {
            "page": page,
            "case": case,
            "override_form": OverrideForm(playbook=case.playbook, exclude=page.outcome),
            "contact_form": ContactAttemptForm(),
            "post_form": EscalationPostForm(initial={"board": page.default_board}),
            "answer_form": AnswerForm(
                initial={"text": case.answer_text or page.first_driver_message}
            ),
            "record_form": RecordForm.for_case(case),
            "transition_form": TransitionForm(),
            "unmask_form": UnmaskForm(),
        }
        context.update(case_email_context(request, case, page))
        context.update(case_attachment_context(request, case))
        # A refused fact revision re-renders this page with its bound form (FactsRevisionView).
        context.update(case_story_context(request, case, getattr(request, "revision_form", None)))
        from cases.views.search import case_related_context  # issue 14.2/14.3 panel

        context.update(case_related_context(request, case))
        return render(request, "cases/workspace/case_detail.html", context)


def case_email_context(request, case, page) -> dict:
    """The case's mails (one query) and, for who may send, the form of the current mail step
    pre-filled by the draft selector (one query for the contacts) - issue 16."""
    from cases.mail_forms import CaseEmailForm
    from cases.mail_selectors import case_email_draft, case_email_rows

    draft = None
    if page.can.get("email") and case.status != Status.CLOSED:
        draft = case_email_draft(case=case)
    return {
        "email_rows": case_email_rows(case=case, user=request.user),
        "email_draft": draft,
        "email_form": CaseEmailForm.for_draft(draft),
    }


def case_story_context(request, case, revision_form=None) -> dict:
    """The case page's fact revision form, its revisions (latest: old and new proposal side by
    side) and its log (the timeline): two queries for the revisions and the timeline's fixed
    number, whatever the case's size."""
    from cases.playbooks import get_playbook
    from cases.timeline import case_timeline, revision_changes
    from cases.workspace_forms import facts_revision_form

    revisions = case_panel_rows(case, "fact_revisions")[:5]  # the newest five
    may_revise = user_can(request.user, "cases.case.revise_facts", case)
    if revision_form is None and may_revise and case.status != "closed":
        revision_form = facts_revision_form(get_playbook(case.playbook), case)
    latest = revisions[0] if revisions else None
    proposals = []
    if latest is not None:
        proposals = [
            ("이전 제안", _proposal_view(case.playbook, latest.proposal_before)),
            ("새 제안", _proposal_view(case.playbook, latest.proposal_after)),
        ]
    return {
        "revision_proposals": proposals,
        "revision_form": revision_form,
        "revisions": revisions,
        "latest_revision": latest,
        "latest_changes": revision_changes(case.playbook, latest) if latest else (),
        "timeline": case_timeline(case=case, limit=100),
    }


def _proposal_view(playbook: str, snapshot: dict | None) -> dict | None:
    """A stored proposal (JSON snapshot) as the revision panel shows it: Korean outcome."""
    from cases.timeline import outcome_label

    if not snapshot:
        return None
    return {
        "outcome_label": outcome_label(playbook, snapshot.get("outcome")),
        "reason": snapshot.get("reason") or "",
        "steps": snapshot.get("steps") or [],
        "messages": snapshot.get("messages") or [],
    }


class FactsRevisionView(ActionRequiredMixin, View):
    """사실관계 수정: the facts form of the case's playbook; ``case_revise_facts`` validates it
    with FACTS. Refused facts come back on the page as Korean field errors (nothing changed)."""

    action = "cases.case.revise_facts"
    http_method_names = ["post"]

    def post(self, request, case_id):
        from cases.playbooks import get_playbook
        from cases.services.revisions import case_revise_facts
        from cases.workspace_forms import facts_revision_form

        case = case_get_for_user_or_404(user=request.user, case_id=case_id)
        if not any(name.startswith("rev-") for name in request.POST):
            messages.error(request, "수정할 사실관계를 입력해 주세요.")
            return redirect(case_url(case.pk))
        form = facts_revision_form(get_playbook(case.playbook), case, data=request.POST)
        if form.is_valid():
            try:
                result = case_revise_facts(
                    case=case,
                    actor=request.user,
                    facts=form.revision(),
                    note=form.cleaned_data["note"],
                )
            except FactsInvalid as exc:
                form.add_service_errors(exc.errors)
            except CaseError as exc:
                messages.error(request, exc.message)
                return redirect(case_url(case.pk))
            else:
                messages.success(request, result.message)
                return redirect(case_url(case.pk) + "#revisions")
        messages.error(request, "사실관계를 확인해 주세요. 아무것도 바뀌지 않았습니다.")
        request.revision_form = form
        return CaseDetailView().get(request, case.pk)


class CaseNewChooseView(ActionRequiredMixin, View):
    """Pick the playbook the new case follows."""

    action = "workspace.case.intake"
    http_method_names = ["get", "head"]

    def get(self, request):
        playbooks = [
            (code, label, (PLAYBOOKS[code].__doc__ or "").strip().splitlines()[0:1])
            for code, label in PlaybookCode.choices
            if code in PLAYBOOKS
        ]
        return render(request, "cases/workspace/case_new_choose.html", {"playbooks": playbooks})


class CaseCreateView(ActionRequiredMixin, View):
    """The new-case form of one playbook, built from its FACTS; POST calls ``case_create``."""

    action = "workspace.case.intake"
    http_method_names = ["get", "head", "post"]

    def use_playbook(self, playbook: str) -> None:
        if playbook not in PLAYBOOKS or playbook not in PlaybookCode.values:
            raise Http404("알 수 없는 플레이북입니다.")
        self.module = PLAYBOOKS[playbook]
        self.form_class = facts_form_class(self.module)

    def render_form(self, request, form, status=200):
        context = {"form": form, "playbook": PlaybookCode(self.module.CODE)}
        return render(request, "cases/workspace/case_new.html", context, status=status)

    def get(self, request, playbook):
        self.use_playbook(playbook)
        initial = {"idempotency_key": f"workspace:{uuid.uuid4()}", "channel": "chatbot_board"}
        return self.render_form(request, self.form_class(initial=initial))

    def post(self, request, playbook):
        self.use_playbook(playbook)
        form = self.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_form(request, form)
        data = form.cleaned_data
        try:
            # Files sent with the inquiry are checked first and stored on the new case; their
            # kinds set the playbook's "첨부 여부" facts (issue 14.4).
            result = case_create_with_attachments(
                uploads=form.attachment_uploads(),
                playbook=self.module.CODE,
                facts=form.facts(),
                channel=data["channel"],
                actor=request.user,
                customer_phone=data["customer_phone"] or None,
                driver_phone=data["driver_phone"] or None,
                idempotency_key=data["idempotency_key"] or None,
                # The agent who files a case works it: it is theirs and opens for them.
                assignee=request.user,
            )
        except FactsInvalid as exc:
            form.add_service_errors(exc.errors)
            return self.render_form(request, form)
        except CaseError as exc:
            messages.error(request, exc.message)
            return self.render_form(request, form)
        level = messages.SUCCESS if result.created else messages.WARNING
        messages.add_message(request, level, result.message)
        if result.answered_duplicate_of is not None:
            # The duplicate guard offers the link (issue 14.3): the case page lists the
            # original under "관련 케이스" with one-click 연결 / 병합.
            messages.info(
                request,
                f"'관련 케이스'에서 원건 #{result.answered_duplicate_of.pk}와 연결하거나 "
                "병합할 수 있습니다.",
            )
        if case_few_visible_to(user=request.user).filter(pk=result.case.pk).exists():
            return redirect(case_url(result.case.pk))
        messages.info(request, "담당 서비스가 아닌 케이스라 목록에 보이지 않습니다.")
        return redirect(reverse("workspace:queue"))
