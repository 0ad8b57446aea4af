"""What the fines admin screens share: read-only rows, a service call turned into a message,
the intermediate form page, links to the case, the payout-created message."""

from __future__ import annotations

from django.contrib import messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from cases.exceptions import CaseError
from fines.models import (
    FinePayout,
    PayoutStatus,
)


class ReadOnlyMixin:
    """Rows written only by services: the admin shows them, never edits or deletes them."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude_fields]

    exclude_fields: tuple[str, ...] = ()


def run_service(request, fn, ok_message: str) -> bool:
    """Call a service; domain errors become a message (Korean), never a 500."""
    try:
        fn()
    except CaseError as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, ok_message)
    return True


def bound_args(request, *, files: bool = False) -> tuple:
    """Form arguments: bound on POST (even an empty one), unbound on GET."""
    if request.method != "POST":
        return ()
    return (request.POST, request.FILES) if files else (request.POST,)


def form_page(admin_obj, request, *, title, form=None, submit_label="", original=None, **ctx):
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


def case_link(case_id):
    if not case_id:
        return "-"
    try:
        url = reverse("admin:cases_case_change", args=[case_id])
    except Exception:  # the cases admin is not registered (yet)
        return f"#{case_id}"
    return format_html('<a href="{}">#{}</a>', url, case_id)


def payout_created_message(payout: FinePayout) -> str:
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


def error_lines(exc: CaseError) -> list[str]:
    errors = getattr(exc, "errors", None)
    if errors:
        return [f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()]
    return [str(exc)]
