"""The payouts' admin screens (과태료 관리 → 지급): payouts with their batch and account
search, batches, bank transfers and the account unmask log. Registered on import by
``fines.admin``."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases.exceptions import CaseError
from fines import forms, selectors, services
from fines.accounts import normalize_account_number
from fines.admin_common import (
    ReadOnlyMixin,
    bound_args,
    error_lines,
    form_page,
    run_service,
)
from fines.models import (
    AccountUnmaskLog,
    BankTransfer,
    FinePayout,
    PayoutBatch,
    PayoutStatus,
)
from fines.schedule import SEOUL, PayoutPolicy, batch_moment
from fines.services.settlement import OUTCOMES as SETTLE_OUTCOMES
from kmcs_site.admin import AuditedAdmin
from kmcs_site.pagination import CappedCountPaginator
from kmcs_site.permissions import user_can


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
        form = forms.ReasonForm(*bound_args(request))
        revealed, errors = None, []
        if request.method == "POST" and form.is_valid():
            try:
                revealed = services.account_reveal(
                    actor=request.user, reason=form.cleaned_data["reason"], payout=payout
                )
            except CaseError as exc:
                errors = error_lines(exc)
        response = form_page(
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
            run_service(
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
                run_service(
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
            run_service(
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
                run_service(
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
