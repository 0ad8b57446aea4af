"""Fine management screens (어드민 → 정산 → 과태료 관리). Thin: every write is a service call,
every permission question goes to kmcs_site.permissions through AuditedAdmin."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases.exceptions import CaseError
from fines import forms, selectors, services
from fines.accounts import normalize_account_number
from fines.models import (
    AccountUnmaskLog,
    BankTransfer,
    FineNotice,
    FinePayout,
    ParkingDispute,
    PayoutBatch,
    PayoutStatus,
    Ride,
)
from fines.schedule import SEOUL, PayoutPolicy, batch_moment
from fines.services.settlement import OUTCOMES as SETTLE_OUTCOMES
from fines.validators import stored_image_type
from kmcs_site.admin import AuditedAdmin
from kmcs_site.pagination import CappedCountPaginator
from kmcs_site.permissions import user_can
from templates_app.phones import mask_phone


class ReadOnlyMixin:
    """Rows written only by services: the admin shows them, never edits or deletes them."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude_fields]

    exclude_fields: tuple[str, ...] = ()


def _run(request, fn, ok_message: str) -> bool:
    """Call a service; domain errors become a message (Korean), never a 500."""
    try:
        fn()
    except CaseError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, ok_message)
    return True


def _bound(request, *, files: bool = False) -> tuple:
    """Form arguments: bound on POST (even an empty one), unbound on GET."""
    if request.method != "POST":
        return ()
    return (request.POST, request.FILES) if files else (request.POST,)


def _form_page(admin_obj, request, *, title, form=None, submit_label="", original=None, **ctx):
    context = {
        **admin_obj.admin_site.each_context(request),
        "opts": admin_obj.model._meta,
        "title": title,
        "form": form,
        "submit_label": submit_label,
        "original": original,
        **ctx,
    }
    return TemplateResponse(request, "admin/fines/form.html", context)


def _case_link(case_id):
    if not case_id:
        return "-"
    try:
        url = reverse("admin:cases_case_change", args=[case_id])
    except Exception:  # the cases admin is not registered (yet)
        return f"#{case_id}"
    return format_html('<a href="{}">#{}</a>', url, case_id)


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
        return _case_link(obj.case_id)

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
        form = forms.FineIntakeForm(*_bound(request, files=True))
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
                errors = _error_lines(exc)
            else:
                messages.success(request, result.message)
                if result.notice is not None:
                    return HttpResponseRedirect(
                        reverse("admin:fines_finenotice_change", args=[result.notice.pk])
                    )
                return HttpResponseRedirect(reverse("admin:fines_finenotice_changelist"))
        return _form_page(
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
        form = forms.EvidenceReviewForm(*_bound(request))
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
                errors = _error_lines(exc)
            else:
                messages.success(request, f"결정: {proposal.reason}")
                return HttpResponseRedirect(
                    reverse("admin:fines_finenotice_change", args=[notice.pk])
                )
        return _form_page(
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
        form = forms.PayoutForm(*_bound(request), initial={"amount": amount})
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
                errors = _error_lines(exc)
            else:
                messages.success(request, _payout_created_message(payout))
                return HttpResponseRedirect(
                    reverse("admin:fines_finepayout_change", args=[payout.pk])
                )
        return _form_page(
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
            if _run(request, lambda n=notice: fn(n), f"{notice}: {label}"):
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


def _payout_created_message(payout: FinePayout) -> str:
    if payout.status == PayoutStatus.PENDING_APPROVAL:
        return (
            f"지급 건 #{payout.pk} 생성: 승인 대기 ({payout.amount:,}원). 다른 팀장·부팀장·"
            "담당자(관리자)가 승인해야 배치에서 지급됩니다."
        )
    if payout.scheduled_at:
        return (
            f"지급 건 #{payout.pk} 생성: {payout.get_status_display()} "
            f"({timezone.localtime(payout.scheduled_at):%Y-%m-%d %H:%M} 지급)"
        )
    return f"지급 건 #{payout.pk} 생성: 계좌 확인 대기"


def _error_lines(exc: CaseError) -> list[str]:
    errors = getattr(exc, "errors", None)
    if errors:
        return [f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()]
    return [str(exc)]


class BatchFilter(admin.SimpleListFilter):
    title = _("지급 배치")
    parameter_name = "batch"

    def lookups(self, request, model_admin):
        return [
            ("today", _("오늘 14:00 배치")),
            ("tomorrow", _("내일 14:00 배치")),
            ("overdue", _("지난 배치 미지급")),
        ]

    def queryset(self, request, queryset):
        policy = PayoutPolicy.from_settings()
        today = timezone.now().astimezone(SEOUL).date()
        moment = batch_moment(today, policy)
        if self.value() == "today":
            return queryset.filter(
                Q(scheduled_at=moment) | Q(status=PayoutStatus.SCHEDULED, scheduled_at__lt=moment)
            )
        if self.value() == "tomorrow":
            return queryset.filter(scheduled_at=batch_moment(today + timedelta(days=1), policy))
        if self.value() == "overdue":
            return queryset.filter(status=PayoutStatus.SCHEDULED, scheduled_at__lt=timezone.now())
        return queryset


#: Session key of the account searches: opaque token -> keyed hash of the number searched.
ACCOUNT_SEARCHES = "fines_payout_account_searches"
ACCOUNT_SEARCHES_KEPT = 10


def _looks_like_full_account(term: str) -> bool:
    digits = normalize_account_number(term)
    return len(digits) >= 10 and digits.isdigit()


class AccountSearchFilter(admin.SimpleListFilter):
    """The result of a POSTed account search: the URL carries an opaque token only; the keyed
    hash of the number stays in the user's session (never the number, never in a URL)."""

    title = _("계좌번호 검색")
    parameter_name = "acct"

    def lookups(self, request, model_admin):
        token = request.GET.get(self.parameter_name)
        if not token:
            return []
        known = token in request.session.get(ACCOUNT_SEARCHES, {})
        return [(token, _("계좌번호 검색 결과") if known else _("만료된 검색"))]

    def queryset(self, request, queryset):
        token = self.value()
        if not token:
            return queryset
        account_hash = request.session.get(ACCOUNT_SEARCHES, {}).get(token)
        if account_hash is None:
            messages.warning(
                request, "계좌번호 검색이 만료되었거나 올바르지 않습니다. 다시 검색하세요."
            )
            return queryset.none()
        return queryset.filter(account_hash=account_hash)


@admin.register(FinePayout)
class FinePayoutAdmin(ReadOnlyMixin, AuditedAdmin):
    """과태료 관리: search by call ID; by a full account number only through the POST form
    (its keyed hash is searched; the URL carries an opaque token). Manual payouts are
    approved or rejected here by a second person (four-eyes)."""

    list_display = (
        "id",
        "call_id",
        "amount",
        "account_masked",
        "holder",
        "status",
        "scheduled_at",
        "paid_at",
        "charge_driver",
        "created_by",
        "approved_by",
        "failure_reason",
    )
    list_filter = ("status", BatchFilter, AccountSearchFilter)
    search_fields = ("call_id__exact",)
    paginator = CappedCountPaginator
    search_help_text = _("콜 ID로 검색 (계좌번호 전체는 아래 '계좌번호로 검색' 양식으로)")
    list_select_related = ("created_by", "approved_by")
    exclude = ("account", "account_hash", "account_length")
    actions = (
        "approve_selected",
        "reject_selected",
        "cancel_selected",
        "settle_selected",
        "run_batch_now",
    )
    change_list_template = "admin/fines/finepayout/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        fields = [f for f in super().get_readonly_fields(request, obj) if f not in self.exclude]
        return [*fields, "account_masked", "reveal_link"]

    @admin.display(description=_("계좌번호 전체 보기"))
    def reveal_link(self, obj):
        url = reverse("admin:fines_finepayout_reveal", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("조회 (팀장·부팀장·담당자, 기록됨)"))

    def get_queryset(self, request):
        return selectors.payout_list(user=request.user)

    def has_add_permission(self, request, *args):
        return False  # created from the fine (접수 화면 → 신규 지급 건 생성), never from scratch

    def get_search_results(self, request, queryset, search_term):
        if _looks_like_full_account(search_term):
            # A full account number in a GET URL lands in access logs: never searched.
            messages.error(
                request,
                "계좌번호 전체는 주소(URL)로 검색할 수 없습니다. '계좌번호로 검색' 양식을 "
                "이용하세요.",
            )
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and "account_search" in request.POST:
            return self._account_search(request)
        extra_context = {**(extra_context or {}), "account_search_form": forms.AccountSearchForm()}
        return super().changelist_view(request, extra_context)

    def _account_search(self, request):
        """POST: the keyed hash of the number goes to the session under a random token; the
        list is shown through a redirect that carries the token only."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:fines_finepayout_changelist")
        form = forms.AccountSearchForm(request.POST)
        digits = normalize_account_number(form.data.get("account_number", ""))
        if not form.is_valid() or not digits.isdigit() or len(digits) < 10:
            messages.error(request, "계좌번호 전체(숫자 10자리 이상, 하이픈 무관)를 입력하세요.")
            return HttpResponseRedirect(changelist)
        searches = dict(request.session.get(ACCOUNT_SEARCHES, {}))
        token = secrets.token_urlsafe(12)
        searches[token] = selectors.payout_account_search_key(number=digits)
        request.session[ACCOUNT_SEARCHES] = dict(list(searches.items())[-ACCOUNT_SEARCHES_KEPT:])
        return HttpResponseRedirect(f"{changelist}?{urlencode({'acct': token})}")

    def get_urls(self):
        return [
            path(
                "<int:object_id>/reveal-account/",
                self.admin_site.admin_view(self.reveal_view),
                name="fines_finepayout_reveal",
            ),
            path(
                "reconciliation/",
                self.admin_site.admin_view(self.reconciliation_view),
                name="fines_finepayout_reconciliation",
            ),
        ] + super().get_urls()

    def reconciliation_view(self, request):
        """일일 대사 (leads, manager): the payouts paid on a day vs the bank's statement of that
        day, mismatches first. ``?day=YYYY-MM-DD`` (default: today, Asia/Seoul)."""
        if not user_can(request.user, "fines.finepayout.reconcile"):
            raise PermissionDenied
        from datetime import date

        from fines.services.reconciliation import bank_statement_for

        today = timezone.now().astimezone(SEOUL).date()
        try:
            day = date.fromisoformat(request.GET.get("day") or today.isoformat())
        except ValueError:
            messages.error(request, "날짜는 YYYY-MM-DD 형식으로 입력하세요.")
            day = today
        report, error = None, ""
        try:
            statement = bank_statement_for(day=day)
        except CaseError as exc:
            error = str(exc)
        else:
            report = selectors.payout_reconciliation(day=day, statement=statement)
        return TemplateResponse(
            request,
            "admin/fines/finepayout/reconciliation.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("일일 지급 대사 (지급 완료 vs 은행 거래내역)"),
                "day": day,
                "report": report,
                "rows": sorted(report.rows, key=lambda r: not r.mismatch) if report else [],
                "error": error,
            },
        )

    def reveal_view(self, request, object_id):
        if not user_can(request.user, "fines.finepayout.unmask"):
            raise PermissionDenied
        payout = self.get_queryset(request).filter(pk=object_id).first()
        if payout is None:
            raise Http404
        form = forms.ReasonForm(*_bound(request))
        revealed, errors = None, []
        if request.method == "POST" and form.is_valid():
            try:
                revealed = services.account_reveal(
                    actor=request.user, reason=form.cleaned_data["reason"], payout=payout
                )
            except CaseError as exc:
                errors = _error_lines(exc)
        response = _form_page(
            self,
            request,
            title=_("계좌번호 전체 보기"),
            form=None if revealed else form,
            submit_label=_("조회 (기록됨)"),
            original=payout,
            revealed=revealed,
            errors=errors,
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(
        description=_("선택한 지급 건 승인 (승인 대기 → 지급 예정, 생성자 본인 제외)"),
        permissions=["approve"],
    )
    def approve_selected(self, request, queryset):
        for payout in queryset:
            _run(
                request,
                lambda p=payout: services.payout_approve(payout=p, actor=request.user),
                f"지급 #{payout.pk} 승인",
            )

    @admin.action(description=_("선택한 지급 건 반려 (승인 대기)"), permissions=["approve"])
    def reject_selected(self, request, queryset):
        """Asks for the reason on an intermediate page, then rejects each selected payout."""
        form = forms.ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for payout in queryset:
                _run(
                    request,
                    lambda p=payout: services.payout_reject(
                        payout=p, actor=request.user, reason=form.cleaned_data["reason"]
                    ),
                    f"지급 #{payout.pk} 반려",
                )
            return None
        return TemplateResponse(
            request,
            "admin/fines/finepayout/reject.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("지급 건 반려"),
                "form": form,
                "payouts": queryset,
                "action": "reject_selected",
            },
        )

    @admin.action(description=_("선택한 지급 건 취소 (배치 전)"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        for payout in queryset:
            _run(
                request,
                lambda p=payout: services.payout_cancel(
                    payout=p, actor=request.user, reason="관리자 취소 (목록)"
                ),
                f"지급 #{payout.pk} 취소",
            )

    @admin.action(
        description=_("확인 필요 건 수동 확인 (은행에 확인한 결과 기록, 재이체 없음)"),
        permissions=["settle"],
    )
    def settle_selected(self, request, queryset):
        """Asks what the bank said on an intermediate page, then records it for each selected
        payout (fines.services.settlement: never a transfer)."""
        form = forms.SettleForm(request.POST if "outcome" in request.POST else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            for payout in queryset:
                _run(
                    request,
                    lambda p=payout: services.payout_settle_manually(
                        payout=p,
                        actor=request.user,
                        outcome=data["outcome"],
                        note=data["note"],
                        bank_reference=data["bank_reference"],
                    ),
                    f"지급 #{payout.pk} 수동 확인: {SETTLE_OUTCOMES[data['outcome']]}",
                )
            return None
        return TemplateResponse(
            request,
            "admin/fines/finepayout/settle.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("확인 필요 지급 건 수동 확인"),
                "form": form,
                "payouts": queryset,
                "action": "settle_selected",
            },
        )

    @admin.action(
        description=_("지급 배치 지금 실행 (지난 배치 미지급분)"), permissions=["run_batch"]
    )
    def run_batch_now(self, request, queryset):
        report = services.payout_batch_run()
        messages.success(
            request,
            f"배치 실행: 지급 {len(report.paid)}건, 실패 {len(report.failed)}건, "
            f"건너뜀 {len(report.skipped)}건",
        )


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyMixin, AuditedAdmin):
    list_display = (
        "run_for",
        "started_at",
        "finished_at",
        "paid_count",
        "failed_count",
        "paid_amount",
        "runs",
    )
    paginator = CappedCountPaginator  # one row a day, but never a full count on a list page

    def has_add_permission(self, request, *args):
        return False


@admin.register(BankTransfer)
class BankTransferAdmin(ReadOnlyMixin, AuditedAdmin):
    list_display = (
        "idempotency_key",
        "amount",
        "state",
        "bank_reference",
        "error_code",
        "requested_at",
        "completed_at",
        "inquiry_count",
        "last_inquiry_error",
        "batch",
    )
    list_filter = ("state",)
    list_select_related = ("batch",)
    search_fields = ("idempotency_key__exact",)
    paginator = CappedCountPaginator

    def has_add_permission(self, request, *args):
        return False


@admin.register(AccountUnmaskLog)
class AccountUnmaskLogAdmin(ReadOnlyMixin, AuditedAdmin):
    list_display = ("at", "actor", "payout", "notice", "reason")
    list_select_related = ("actor", "payout", "notice")
    paginator = CappedCountPaginator

    def has_add_permission(self, request, *args):
        return False


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
            _run(
                request,
                lambda d=d: services.dispute_request_dashcam(dispute=d, actor=request.user),
                f"{d}: 블랙박스 요청",
            )

    @admin.action(
        description=_("블랙박스 미제출 → 현금 지급 (기사 50%% / 당사 50%%)"), permissions=["change"]
    )
    def resolve_no_footage(self, request, queryset):
        for d in queryset:
            _run(
                request,
                lambda d=d: services.dispute_resolve(
                    dispute=d, actor=request.user, resolution="cash_split"
                ),
                f"{d}: 현금 지급 결정",
            )

    @admin.action(description=_("현금 지급 확정"), permissions=["change"])
    def confirm_cash(self, request, queryset):
        for d in queryset:
            _run(
                request,
                lambda d=d: services.dispute_cash_confirm(dispute=d, actor=request.user),
                f"{d}: 확정",
            )

    @admin.action(description=_("아지트 과태료 현금 지급 요청 작성"), permissions=["change"])
    def post_cash_request(self, request, queryset):
        for d in queryset:
            _run(
                request,
                lambda d=d: services.dispute_cash_post(dispute=d, actor=request.user),
                f"{d}: 아지트 작성",
            )
