"""Admin for team leads: cases (with the decide / assign / close actions); consultation types,
campaigns, agent profiles and the unmask log in ``cases.admin_reference``, the case admin's
inlines, forms and filters in ``cases.admin_parts`` (re-exported here).

Thin by design: every change goes through ``cases.services`` (the same rules as the agent
workspace and the API), every permission through ``kmcs_site.permissions`` (AuditedAdmin), and
the case list is the visibility selector, so an agent who opens the admin sees only their cases.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases.admin_activity import case_admin_activity
from cases.admin_display import (
    facts_history_text,
    outcome_history_text,
    proposal_history_text,
    rows_html,
    steps_html,
)
from cases.admin_links import case_admin_link_rows
from cases.admin_parts import (
    AssigneeListFilter,
    AssignForm,
    CaseRecordForm,
    OutcomeListFilter,
    UnmaskForm,
)
from cases.admin_rows import CaseChangeList
from cases.admin_search import CaseAdminSearchMixin, PhoneSearchFilter
from cases.exceptions import CaseError, FactsInvalid
from cases.forms import OverrideForm
from cases.labels import choice_label, figure_rows, outcome_label
from cases.models import (
    DONE_STATUSES,
    Case,
    ResultType,
    Status,
)
from cases.proposals import proposal_fingerprint
from cases.selectors import case_get_visible, case_list_visible_to, case_message_previews
from cases.services import (
    case_assign,
    case_decide,
    case_phone_unmask,
    case_propose,
    case_record_update,
    case_take,
    case_transition,
)
from kmcs_site.admin import AuditedAdmin
from kmcs_site.pagination import CappedCountPaginator
from kmcs_site.permissions import user_can

#: The decide confirmation renders every message of every selected case: keep it readable.
DECIDE_BATCH_LIMIT = 20
CLOSED_READ_ONLY = _("종결된 케이스는 읽기 전용입니다. 수정하려면 먼저 재오픈해 주세요.")


# --- cases ---------------------------------------------------------------------------------
@admin.register(Case)
class CaseAdmin(CaseAdminSearchMixin, AuditedAdmin):
    form = CaseRecordForm
    # The history page writes facts and the proposal in Korean, not as the stored JSON.
    history_value_formatters = {
        "facts": facts_history_text,
        "proposal": proposal_history_text,
        "outcome": outcome_history_text,
    }
    # Choice columns through the per-language label tables (issue 17.2): Django's own display
    # of a choice field translates every choice of the field for every row.
    list_display = (
        "id",
        "playbook_col",
        "status_col",
        "outcome_display",
        "result_type_col",
        "channel_col",
        "assignee",
        "customer_phone_masked",
        "call_id",
        "consultation_type",
        "created_at",
    )
    list_display_links = ("id", "playbook_col")
    list_filter = (
        "playbook",
        "status",
        ("outcome", OutcomeListFilter),
        "channel",
        ("assignee", AssigneeListFilter),
        PhoneSearchFilter,
        "created_at",
    )
    # Exact lookups: each hits its own btree index (call ID, TID, payment ID, phone's last four
    # digits, driver). Not "=field": that is iexact, UPPER(column), which no index serves.
    search_fields = (
        "call_id__exact",
        "charge_tid__exact",
        "parking_payment_id__exact",
        "customer_phone_last4__exact",
        "driver_id__exact",
    )
    # Search: cases.admin_search (workspace lookups, POSTed box, phones by token).
    list_select_related = ("consultation_type", "assignee")
    paginator = CappedCountPaginator
    ordering = ("-created_at", "-id")
    # Steps, Agit posts and OB attempts: read-only tables (cases.admin_activity), not inlines.
    actions = ("take_cases", "assign_cases", "decide_cases", "close_cases")
    fieldsets = (
        (
            _("케이스"),
            {
                "fields": (
                    "playbook",
                    "playbook_version",
                    "service",
                    "channel",
                    "status",
                    "waiting_on",
                    "assignee",
                    "created_by",
                )
            },
        ),
        (
            _("고객·기사·참조"),
            {
                "fields": (
                    "customer_phone_masked",
                    "driver_id",
                    "driver_phone_masked",
                    "call_id",
                    "charge_tid",
                    "station",
                    "parking_payment_id",
                    "lot",
                    "business_key",
                    "unmask_link",
                )
            },
        ),
        (
            _("결정"),
            {
                "fields": (
                    "outcome_display",
                    "override_link",
                    "reason",
                    "result_type",
                    "is_override",
                    "override_reason",
                    "overridden_by",
                    "facts_display",
                    "proposal_display",
                )
            },
        ),
        (
            _("상담이력·메모"),
            {
                "fields": (
                    "consultation_type",
                    "record_title",
                    "record_inquiry",
                    "record_notes",
                    "operations_memo",
                    "billing_memo",
                    "answer_text",
                    "answer_saved_at",
                )
            },
        ),
        (
            _("시각"),
            {
                "fields": (
                    "created_at",
                    "first_response_at",
                    "decided_at",
                    "closed_at",
                    "updated_at",
                )
            },
        ),
    )
    readonly_fields = (
        "playbook",
        "playbook_version",
        "service",
        "channel",
        "status",
        "waiting_on",
        "assignee",
        "created_by",
        "customer_phone_masked",
        "driver_id",
        "driver_phone_masked",
        "call_id",
        "charge_tid",
        "station",
        "parking_payment_id",
        "lot",
        "business_key",
        "unmask_link",
        "outcome_display",
        "override_link",
        "reason",
        "result_type",
        "is_override",
        "override_reason",
        "overridden_by",
        "facts_display",
        "proposal_display",
        "answer_text",
        "answer_saved_at",
        "created_at",
        "first_response_at",
        "decided_at",
        "closed_at",
        "updated_at",
    )

    # --- scope and permissions ----------------------------------------------------------
    def get_changelist(self, request, **kwargs):
        return CaseChangeList

    def get_queryset(self, request):
        return case_list_visible_to(user=request.user)

    def has_add_permission(self, request, *args):
        # Cases are opened by intake (case_create: API, agent workspace, importer), which
        # validates the playbook's facts; a raw admin form would bypass that.
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the case is the record; nobody deletes it (superusers neither)

    def get_object(self, request, object_id, from_field=None):
        """The case if the user may see it, fetched once per request.

        The change view asks twice (its own 404 check, then Django's change form) and Django's
        ``get_object`` went through the list selector, which hashes all of an agent's work
        permissions; one case is an ``EXISTS`` probe (``case_get_visible``), joined with
        the people the read-only fields name.
        """
        if from_field is not None:
            return super().get_object(request, object_id, from_field)
        cache = request.__dict__.setdefault("_kmcs_admin_cases", {})
        if object_id not in cache:  # None for a key that is not a case id
            cache[object_id] = case_get_visible(user=request.user, case_id=object_id)
        return cache[object_id]

    def _visible_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("케이스를 찾을 수 없습니다.")
        return obj

    def has_change_permission(self, request, obj=None):
        # A closed case is read-only until a lead reopens it (case_record_update refuses too):
        # the page shows it without a form, instead of a form whose save is then refused.
        if obj is not None and obj.status == Status.CLOSED:
            return False
        return super().has_change_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self._visible_or_404(request, object_id)
        # The "관련 케이스" section (read-only, cases.admin_links): two queries however many.
        extra_context = {
            **(extra_context or {}),
            "case_links": case_admin_link_rows(user=request.user, case=case),
            "activity_tables": case_admin_activity(
                user=request.user, case=case, site=self.admin_site
            ),
        }
        if case.status == Status.CLOSED:
            if request.method == "POST":
                # One message saying why nothing changed (not an error beside a "saved").
                self.message_user(request, CLOSED_READ_ONLY, messages.WARNING)
                return redirect(request.path)
            extra_context = {**(extra_context or {}), "closed_notice": CLOSED_READ_ONLY}
        return super().change_view(request, object_id, form_url, extra_context)

    def log_change(self, request, obj, message):
        if getattr(request, "_kmcs_save_refused", False):
            return None  # nothing was saved: no "changed" entry in the admin log either
        return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if getattr(request, "_kmcs_save_refused", False):
            # The service refused (its message is already shown): back to the page, no success.
            return redirect(request.path)
        return super().response_change(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:  # pragma: no cover - add is refused above
            raise Http404
        try:
            case_record_update(
                case=obj,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        except CaseError as exc:
            # The form already passed: this is a rule. Say so, change nothing, and tell
            # response_change / log_change that nothing was saved.
            request._kmcs_save_refused = True
            self.message_user(request, exc.message, messages.ERROR)

    # --- display ------------------------------------------------------------------------
    @admin.display(description=_("고객 전화번호"))
    def customer_phone_masked(self, case):
        return case.masked_customer_phone or "-"

    @admin.display(description=_("기사 전화번호"))
    def driver_phone_masked(self, case):
        return case.masked_driver_phone or "-"

    @admin.display(description=_("전체 번호 보기"))
    def unmask_link(self, case):
        url = reverse("admin:cases_case_unmask", args=[case.pk])
        return format_html('<a href="{}">{}</a>', url, _("전화번호 조회 (기록됨)"))

    @admin.display(description=_("플레이북"), ordering="playbook")
    def playbook_col(self, case):
        return case.playbook_label

    @admin.display(description=_("상태"), ordering="status")
    def status_col(self, case):
        return case.status_label

    @admin.display(description=_("처리결과(유형)"), ordering="result_type")
    def result_type_col(self, case):
        return choice_label(ResultType, case.result_type) or "-"

    @admin.display(description=_("접수 채널"), ordering="channel")
    def channel_col(self, case):
        return case.channel_label

    @admin.display(description=_("처리 결과"), ordering="outcome")
    def outcome_display(self, case):
        return outcome_label(case.playbook, case.outcome) or "-"

    @admin.display(description=_("사실관계"))
    def facts_display(self, case):
        from cases.views.presenters import fact_rows

        return rows_html([(label, value) for _name, label, value in fact_rows(case)])

    @admin.display(description=_("결정 당시 제안"))
    def proposal_display(self, case):
        snapshot = case.proposal or {}
        if not snapshot:
            return "-"
        rows = [(_("제안 결과"), outcome_label(case.playbook, snapshot.get("outcome")))]
        if snapshot.get("reason"):
            rows.append((_("사유"), snapshot["reason"]))
        if snapshot.get("consultation_type"):
            rows.append((_("상담유형"), " ▶ ".join(snapshot["consultation_type"])))
        rows += figure_rows(snapshot.get("figures"))
        templates = [m.get("template", "") for m in snapshot.get("messages") or ()]
        if templates:
            rows.append((_("문자"), ", ".join(t for t in templates if t)))
        return format_html("{}{}", rows_html(rows), steps_html(snapshot.get("steps") or ()))

    @admin.display(description=_("다른 결과로 결정"))
    def override_link(self, case):
        url = reverse("admin:cases_case_override", args=[case.pk])
        return format_html('<a href="{}">{}</a>', url, _("제안과 다른 결과로 결정 (사유 필수)"))

    def _may_override(self, request, case) -> bool:
        return case.status not in DONE_STATUSES and user_can(
            request.user, "cases.case.override", case
        )

    def get_fieldsets(self, request, obj=None):
        # The unmask / override links only for those who may use them (the views check again).
        hidden = set()
        if obj is None or not user_can(request.user, "cases.case.unmask", obj):
            hidden.add("unmask_link")
        if obj is None or not self._may_override(request, obj):
            hidden.add("override_link")
        return [
            (name, {**opts, "fields": tuple(f for f in opts["fields"] if f not in hidden)})
            for name, opts in self.fieldsets
        ]

    # --- extra view: unmask ---------------------------------------------------------------
    def get_urls(self):
        urls = super().get_urls()
        extra = [
            path(
                "<path:object_id>/unmask/",
                self.admin_site.admin_view(self.unmask_view),
                name="cases_case_unmask",
            ),
            path(
                "<path:object_id>/override/",
                self.admin_site.admin_view(self.override_view),
                name="cases_case_override",
            ),
            path(
                "<path:object_id>/revise-facts/",
                self.admin_site.admin_view(self.revise_facts_view),
                name="cases_case_revise_facts",
            ),
        ]
        return extra + urls

    def revise_facts_view(self, request, object_id):
        """사실관계 수정 for leads (and an agent on their own case): the workspace's form and
        the one service, ``case_revise_facts``; FACTS' Korean errors go back on the fields."""
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import redirect

        from cases.playbooks import get_playbook
        from cases.services.revisions import case_revise_facts
        from cases.workspace_forms import facts_revision_form

        case = self._visible_or_404(request, object_id)
        if not user_can(request.user, "cases.case.revise_facts", case):
            raise PermissionDenied("이 케이스의 사실관계를 수정할 권한이 없습니다.")
        module = get_playbook(case.playbook)
        form = facts_revision_form(module, case, data=request.POST or None)
        if request.method == "POST" and form.is_valid():
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
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, result.message, messages.SUCCESS)
                return redirect(reverse("admin:cases_case_change", args=[case.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("사실관계 수정"),
            "case": case,
            "form": form,
        }
        return TemplateResponse(request, "admin/cases/case/revise_facts.html", context)

    def unmask_view(self, request, object_id):
        case = self._visible_or_404(request, object_id)
        if not user_can(request.user, "cases.case.unmask", case):
            raise Http404("케이스를 찾을 수 없습니다.")
        form = UnmaskForm(request.POST or None)
        revealed = None
        if request.method == "POST" and form.is_valid():
            try:
                revealed = case_phone_unmask(
                    case=case,
                    actor=request.user,
                    field=form.cleaned_data["field"],
                    reason=form.cleaned_data["reason"],
                )
            except CaseError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("전화번호 조회"),
            "case": case,
            "form": form,
            "revealed": revealed,
        }
        return TemplateResponse(request, "admin/cases/case/unmask.html", context)

    def override_view(self, request, object_id):
        """Decide another outcome than the proposal: a select of the playbook's outcomes and a
        reason, through ``case_decide`` (which refuses any undeclared code again)."""
        case = self._visible_or_404(request, object_id)
        if not self._may_override(request, case):
            raise Http404("케이스를 찾을 수 없습니다.")
        try:
            proposed = case_propose(case=case).outcome
        except CaseError as exc:
            proposed = ""
            self.message_user(request, exc.message, messages.WARNING)
        form = OverrideForm(request.POST or None, playbook=case.playbook, exclude=proposed)
        if request.method == "POST" and form.is_valid():
            try:
                case_decide(
                    case=case,
                    actor=request.user,
                    override_outcome=form.cleaned_data["outcome"],
                    override_reason=form.cleaned_data["reason"],
                )
            except CaseError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                label = outcome_label(case.playbook, case.outcome)
                self.message_user(
                    request, f"처리 결과를 '{label}'(으)로 결정했습니다.", messages.SUCCESS
                )
                return redirect(reverse("admin:cases_case_change", args=[case.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("다른 결과로 결정"),
            "case": case,
            "form": form,
            "proposed_label": outcome_label(case.playbook, proposed),
        }
        return TemplateResponse(request, "admin/cases/case/override.html", context)

    # --- actions --------------------------------------------------------------------------
    def _report(self, request, done: int, verb: str, errors: list[str]):
        if done:
            self.message_user(request, f"{done}건 {verb}했습니다.", messages.SUCCESS)
        for error in errors:
            self.message_user(request, error, messages.ERROR)

    @admin.action(description=_("선택한 케이스 가져오기 (내게 배정)"), permissions=["take"])
    def take_cases(self, request, queryset):
        done, errors = 0, []
        for case in queryset:
            try:
                case_take(case=case, actor=request.user)
                done += 1
            except CaseError as exc:
                errors.append(f"#{case.pk}: {exc.message}")
        self._report(request, done, "가져왔습니다", errors)

    @admin.action(description=_("선택한 케이스 배정"), permissions=["assign"])
    def assign_cases(self, request, queryset):
        if "apply" in request.POST:
            form = AssignForm(request.POST)
            if form.is_valid():
                assignee = form.cleaned_data["assignee"]
                done, errors = 0, []
                for case in queryset:
                    try:
                        case_assign(case=case, assignee=assignee, actor=request.user)
                        done += 1
                    except CaseError as exc:
                        errors.append(f"#{case.pk}: {exc.message}")
                self._report(request, done, "배정", errors)
                return None
        else:
            form = AssignForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("케이스 배정"),
            "cases": list(queryset),
            "form": form,
            "action": "assign_cases",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/cases/case/assign.html", context)

    @admin.action(
        description=_("선택한 케이스를 제안대로 결정 (문자 미리보기)"), permissions=["decide"]
    )
    def decide_cases(self, request, queryset):
        cases = list(queryset[: DECIDE_BATCH_LIMIT + 1])
        if len(cases) > DECIDE_BATCH_LIMIT:
            self.message_user(
                request,
                f"한 번에 {DECIDE_BATCH_LIMIT}건까지 결정할 수 있습니다. 선택을 줄여 주세요.",
                messages.WARNING,
            )
            return None
        now = timezone.now()
        if "apply" in request.POST:
            done, errors = 0, []
            for case in cases:
                expected = request.POST.get(f"fingerprint_{case.pk}", "")
                try:
                    proposal = case_propose(case=case, at=now)
                    if proposal_fingerprint(proposal) != expected:
                        errors.append(
                            f"#{case.pk}: 확인한 뒤 제안이 바뀌었습니다. 다시 확인해 주세요."
                        )
                        continue
                    case_decide(case=case, actor=request.user, proposal=proposal, at=now)
                    done += 1
                except CaseError as exc:
                    errors.append(f"#{case.pk}: {exc.message}")
            self._report(request, done, "결정", errors)
            return None
        rows = []
        for case in cases:
            row = {"case": case, "error": "", "proposal": None, "previews": (), "fingerprint": ""}
            if not user_can(request.user, "cases.case.decide", case):
                row["error"] = "이 케이스를 결정할 권한이 없습니다."
            else:
                try:
                    proposal = case_propose(case=case, at=now)
                    row["proposal"] = proposal
                    row["outcome_label"] = outcome_label(case.playbook, proposal.outcome)
                    row["fingerprint"] = proposal_fingerprint(proposal)
                    row["previews"] = case_message_previews(case=case, proposal=proposal)
                except CaseError as exc:
                    row["error"] = exc.message
            rows.append(row)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("제안대로 결정: 문자 미리보기"),
            "rows": rows,
            "action": "decide_cases",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/cases/case/decide_confirm.html", context)

    @admin.action(description=_("선택한 케이스 종결"), permissions=["close"])
    def close_cases(self, request, queryset):
        done, errors = 0, []
        for case in queryset:
            try:
                case_transition(case=case, transition="close", actor=request.user)
                done += 1
            except CaseError as exc:
                errors.append(f"#{case.pk}: {exc.message}")
        self._report(request, done, "종결", errors)


# Reference data and case e-mail (issue 16): their admins live in their own modules,
# registered on import.
from cases.admin_email import CaseEmailAdmin  # noqa: E402,F401
from cases.admin_reference import (  # noqa: E402,F401
    CampaignAdmin,
    ConsultationTypeAdmin,
    StaffProfileAdmin,
    UnmaskLogAdmin,
)
