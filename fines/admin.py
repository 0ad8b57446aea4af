"""Fine management screens (어드민 → 정산 → 과태료 관리). Thin: every write is a service call,
every permission question goes to kmcs_site.permissions through AuditedAdmin. Rides, notices
and disputes here; payouts, batches and transfers in ``fines.admin_payouts``; the shared
helpers in ``fines.admin_common``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases.exceptions import CaseError
from fines import forms, selectors, services
from fines.admin_common import (
    ReadOnlyMixin,
    bound_args,
    case_link,
    error_lines,
    form_page,
    payout_created_message,
    run_service,
)
from fines.models import (
    FineNotice,
    ParkingDispute,
    Ride,
)
from fines.validators import stored_image_type
from kmcs_site.admin import AuditedAdmin
from kmcs_site.pagination import CappedCountPaginator
from kmcs_site.permissions import user_can
from templates_app.phones import mask_phone


@admin.register(Ride)
class RideAdmin(AuditedAdmin):
    list_display = ("call_id", "started_at", "ended_at", "end_address", "driver_name", "fare")
    # Exact lookups use the btree indexes ("=field" is iexact: UPPER(column), a full scan).
    search_fields = ("call_id__exact", "driver_id__exact")
    list_filter = ("source",)
    exclude = ("created_by",)
    paginator = CappedCountPaginator  # one ride per driver call: millions of rows

    def get_exclude(self, request, obj=None):
        # The driver's phone is typed on the add page (or imported) and afterwards shown
        # masked, like every phone number in the back office (change and history pages).
        return self.exclude if obj is None else (*self.exclude, "driver_phone")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else (*fields, "driver_phone_masked")

    @admin.display(description=_("기사 전화번호"))
    def driver_phone_masked(self, obj):
        return mask_phone(obj.driver_phone) if obj.driver_phone else "-"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj._history_user = request.user
        super().save_model(request, obj, form, change)


@admin.register(FineNotice)
class FineNoticeAdmin(ReadOnlyMixin, AuditedAdmin):
    list_display = (
        "id",
        "call_id",
        "category",
        "notice_type",
        "violation_kind",
        "violation_at",
        "amount",
        "evidence_result",
        "outcome",
        "case_link",
        "intake_by",
        "created_at",
    )
    list_filter = ("category", "outcome", "evidence_result", "notice_type", "call_type")
    search_fields = ("call_id__exact",)
    list_select_related = ("intake_by",)
    paginator = CappedCountPaginator
    exclude = ("account", "account_hash", "account_length", "evidence_details", "notice_image")
    actions = (
        "consent_given",
        "consent_refused",
        "driver_notified",
        "evidence_mms_sent",
        "penalty_done",
        "partner_claimed",
    )

    def get_readonly_fields(self, request, obj=None):
        fields = [f for f in super().get_readonly_fields(request, obj) if f not in self.exclude]
        return [*fields, "account_display", "notice_image_link", "manager_links"]

    def get_queryset(self, request):
        return selectors.fine_notice_list_visible_to(user=request.user)

    @admin.display(description=_("케이스"))
    def case_link(self, obj):
        return case_link(obj.case_id)

    @admin.display(description=_("계좌"))
    def account_display(self, obj):
        if not obj.has_account:
            return "-"
        return f"{obj.account_masked} / {obj.account_holder}"

    @admin.display(description=_("고지서 이미지"))
    def notice_image_link(self, obj):
        if not obj.notice_image:
            return "-"
        url = reverse("admin:fines_finenotice_image", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("고지서 보기"))

    @admin.display(description=_("담당자 처리"))
    def manager_links(self, obj):
        links = [
            (reverse("admin:fines_finenotice_payout", args=[obj.pk]), _("신규 지급 건 생성")),
        ]
        if obj.evidence_result == "fail":
            links.append(
                (
                    reverse("admin:fines_finenotice_evidence_review", args=[obj.pk]),
                    _("증빙 불일치 검토"),
                )
            )
        return format_html(
            " · ".join('<a href="{}">{}</a>' for _link in links),
            *[part for pair in links for part in pair],
        )

    def notice_image_view(self, request, object_id):
        """The notice through the admin (permission-checked), never a public media URL.

        The type comes from the stored bytes, not the file name (older rows kept the client's
        extension): an allowed raster image is shown inline as that image type, anything else
        is only downloaded as octet-stream. Never text/html, never sniffed, no script runs.
        """
        notice = self._visible(request, object_id)
        if not notice.notice_image:
            raise Http404
        kind = stored_image_type(notice.notice_image)
        extension, content_type = kind or ("bin", "application/octet-stream")
        response = FileResponse(
            notice.notice_image.open("rb"),
            content_type=content_type,
            as_attachment=kind is None,
            filename=f"notice-{notice.pk}.{extension}",
        )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    # --- intake (the add page) ---------------------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = forms.FineIntakeForm(*bound_args(request, files=True))
        errors = []
        if request.method == "POST" and form.is_valid():
            try:
                result = services.fine_intake(
                    facts=form.facts(),
                    actor=request.user,
                    notice_image=form.cleaned_data.get("notice_image"),
                    customer_phone=form.cleaned_data["customer_phone"],
                    driver_phone=form.cleaned_data.get("driver_phone") or None,
                    channel="chatbot_board",
                    idempotency_key=form.cleaned_data.get("idempotency_key") or None,
                )
            except CaseError as exc:
                errors = error_lines(exc)
            else:
                messages.success(request, result.message)
                if result.notice is not None:
                    return HttpResponseRedirect(
                        reverse("admin:fines_finenotice_change", args=[result.notice.pk])
                    )
                return HttpResponseRedirect(reverse("admin:fines_finenotice_changelist"))
        return form_page(
            self,
            request,
            title=_("과태료 접수"),
            form=form,
            submit_label=_("접수"),
            errors=errors,
        )

    # --- manager pages -----------------------------------------------------------------------
    def get_urls(self):
        extra = [
            path(
                "<int:object_id>/evidence-review/",
                self.admin_site.admin_view(self.evidence_review_view),
                name="fines_finenotice_evidence_review",
            ),
            path(
                "<int:object_id>/notice-image/",
                self.admin_site.admin_view(self.notice_image_view),
                name="fines_finenotice_image",
            ),
            path(
                "<int:object_id>/payout/",
                self.admin_site.admin_view(self.payout_view),
                name="fines_finenotice_payout",
            ),
        ]
        return extra + super().get_urls()

    def _visible(self, request, object_id) -> FineNotice:
        notice = self.get_queryset(request).filter(pk=object_id).first()
        if notice is None:
            raise Http404
        return notice

    def evidence_review_view(self, request, object_id):
        notice = self._visible(request, object_id)
        if not user_can(request.user, "fines.finenotice.override_evidence"):
            raise PermissionDenied
        form = forms.EvidenceReviewForm(*bound_args(request))
        errors = []
        if request.method == "POST" and form.is_valid():
            try:
                proposal = services.notice_evidence_review(
                    notice=notice,
                    actor=request.user,
                    accept_mismatch=form.cleaned_data["accept_mismatch"],
                    reason=form.cleaned_data["reason"],
                )
            except CaseError as exc:
                errors = error_lines(exc)
            else:
                messages.success(request, f"결정: {proposal.reason}")
                return HttpResponseRedirect(
                    reverse("admin:fines_finenotice_change", args=[notice.pk])
                )
        return form_page(
            self,
            request,
            title=_("증빙 불일치 검토"),
            form=form,
            submit_label=_("결정"),
            original=notice,
            errors=errors,
        )

    def payout_view(self, request, object_id):
        notice = self._visible(request, object_id)
        if not user_can(request.user, "fines.finepayout.add"):
            raise PermissionDenied
        try:
            amount = f"{services.payout_amount_for(notice).customer:,}"
        except CaseError as exc:
            amount = str(exc)
        form = forms.PayoutForm(*bound_args(request), initial={"amount": amount})
        errors = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                payout = services.payout_create(
                    notice=notice,
                    actor=request.user,
                    bank=data.get("bank") or None,
                    account_number=data.get("account_number") or None,
                    holder=data.get("holder") or None,
                    charge_driver=data.get("charge_driver"),
                )
            except CaseError as exc:
                errors = error_lines(exc)
            else:
                messages.success(request, payout_created_message(payout))
                return HttpResponseRedirect(
                    reverse("admin:fines_finepayout_change", args=[payout.pk])
                )
        return form_page(
            self,
            request,
            title=_("신규 지급 건 생성"),
            form=form,
            submit_label=_("계좌 유효성 체크 후 생성"),
            original=notice,
            errors=errors,
        )

    # --- 범칙금 / 위탁콜 steps (manager) --------------------------------------------------
    def _each(self, request, queryset, fn, label):
        done = 0
        for notice in queryset:
            if run_service(request, lambda n=notice: fn(n), f"{notice}: {label}"):
                done += 1
        return done

    @admin.action(
        description=_("[고객 OB] 차량번호 전달 동의 (개인정보수집동의)"), permissions=["manage"]
    )
    def consent_given(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda n: services.penalty_consent_record(notice=n, actor=request.user, given=True),
            "동의 기록",
        )

    @admin.action(description=_("[고객 OB] 차량번호 전달 거부"), permissions=["manage"])
    def consent_refused(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda n: services.penalty_consent_record(notice=n, actor=request.user, given=False),
            "거부 기록",
        )

    @admin.action(
        description=_("[기사 OB] 경찰서 내방 안내 + 차량번호 전달"), permissions=["manage"]
    )
    def driver_notified(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda n: services.penalty_driver_notify(notice=n, actor=request.user),
            "기사 OB 기록",
        )

    @admin.action(description=_("증빙자료 MMS 발송 기록"), permissions=["manage"])
    def evidence_mms_sent(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda n: services.penalty_evidence_mms(notice=n, actor=request.user),
            "MMS 발송 기록",
        )

    @admin.action(description=_("범칙금 처리완료 (고객 SMS)"), permissions=["manage"])
    def penalty_done(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda n: services.penalty_complete(notice=n, actor=request.user),
            "처리완료 SMS 대기열 등록",
        )

    @admin.action(description=_("위탁콜: 기사·업체 입금 요청 기록"), permissions=["manage"])
    def partner_claimed(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda n: services.partner_claim_record(notice=n, actor=request.user),
            "입금 요청 기록",
        )


@admin.register(ParkingDispute)
class ParkingDisputeAdmin(ReadOnlyMixin, AuditedAdmin):
    list_display = (
        "notice",
        "resolution",
        "dashcam_due_on",
        "cash_amount",
        "driver_share",
        "company_share",
        "cash_confirmed",
        "cash_request_posted_at",
    )
    list_filter = ("resolution",)
    list_select_related = ("notice",)
    paginator = CappedCountPaginator
    actions = ("request_dashcam", "resolve_no_footage", "confirm_cash", "post_cash_request")

    def has_add_permission(self, request, *args):
        return False  # opened from the fine by the manager (service dispute_open)

    @admin.action(description=_("[고객 OB] 블랙박스 요청 (2주 기한)"), permissions=["change"])
    def request_dashcam(self, request, queryset):
        for d in queryset:
            run_service(
                request,
                lambda d=d: services.dispute_request_dashcam(dispute=d, actor=request.user),
                f"{d}: 블랙박스 요청",
            )

    @admin.action(
        description=_("블랙박스 미제출 → 현금 지급 (기사 50%% / 당사 50%%)"), permissions=["change"]
    )
    def resolve_no_footage(self, request, queryset):
        for d in queryset:
            run_service(
                request,
                lambda d=d: services.dispute_resolve(
                    dispute=d, actor=request.user, resolution="cash_split"
                ),
                f"{d}: 현금 지급 결정",
            )

    @admin.action(description=_("현금 지급 확정"), permissions=["change"])
    def confirm_cash(self, request, queryset):
        for d in queryset:
            run_service(
                request,
                lambda d=d: services.dispute_cash_confirm(dispute=d, actor=request.user),
                f"{d}: 확정",
            )

    @admin.action(description=_("아지트 과태료 현금 지급 요청 작성"), permissions=["change"])
    def post_cash_request(self, request, queryset):
        for d in queryset:
            run_service(
                request,
                lambda d=d: services.dispute_cash_post(dispute=d, actor=request.user),
                f"{d}: 아지트 작성",
            )


# The payouts' screens live in their own module, registered on import.
from fines.admin_payouts import (  # noqa: E402,F401
    AccountUnmaskLogAdmin,
    BankTransferAdmin,
    FinePayoutAdmin,
    PayoutBatchAdmin,
)
