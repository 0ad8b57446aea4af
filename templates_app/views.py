"""HTTP doors of templates_app that are not the admin: the providers' delivery-report callback."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import delivery_reports


@method_decorator(csrf_exempt, name="dispatch")  # a provider posts here, signed with HMAC
class SmsDeliveryReportView(View):
    """``POST /integrations/sms/reports/``: signed delivery reports (see
    :mod:`templates_app.delivery_reports`). A valid report, a replay and a report naming no
    message of ours all get an empty 204 (the provider stops retrying; nothing is said about
    what we know); a bad signature, a stale time or an unreadable body an empty 400. The log
    says which."""

    http_method_names = ["post"]

    def post(self, request):
        outcome = delivery_reports.callback_receive(
            body=request.body,
            timestamp=request.headers.get(delivery_reports.TIMESTAMP_HEADER, ""),
            signature=request.headers.get(delivery_reports.SIGNATURE_HEADER, ""),
        )
        return HttpResponse(status=400 if outcome.verdict == "rejected" else 204)
