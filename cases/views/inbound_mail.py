"""The inbound-mail webhook (issue 16 item 2): Mailgun "routes" POSTs a reply here.

No login: the caller is Mailgun, proven by the signature (HMAC-SHA256 of timestamp + token with
``KMCS_MAILGUN_SIGNING_KEY``), a timestamp inside ``KMCS_INBOUND_MAIL_MAX_AGE`` and a token
used once. Answers carry no detail (why a mail was refused is in the log):

- 403 ``{"accepted": false}``: bad signature, stale or replayed request (nothing changed);
- 406 ``{"accepted": false}``: genuine but not ours (no case reference, unknown sender). 406 is
  Mailgun's "do not retry";
- 200 ``{"accepted": true}``: stored (or already stored: the same Message-ID again).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from cases.services.inbound_mail import (
    inbound_mail_from_mailgun,
    inbound_mail_receive,
    mailgun_claim_token,
    mailgun_signature_ok,
)

logger = logging.getLogger("cases.services.inbound_mail")


@method_decorator(csrf_exempt, name="dispatch")  # a provider's signed POST, no browser session
class MailgunInboundView(View):
    http_method_names = ["post"]

    def post(self, request):
        fields = request.POST
        timestamp = fields.get("timestamp", "")
        token = fields.get("token", "")
        if not mailgun_signature_ok(
            timestamp=timestamp,
            token=token,
            signature=fields.get("signature", ""),
            key=settings.KMCS_MAILGUN_SIGNING_KEY,
        ):
            logger.warning("수신 메일 웹훅 서명 불일치: 무시 (token=%s)", token[:16])
            return JsonResponse({"accepted": False}, status=403)
        refused = mailgun_claim_token(timestamp=timestamp, token=token)
        if refused:
            logger.warning("수신 메일 웹훅 재전송/만료 (%s): 무시 (token=%s)", refused, token[:16])
            return JsonResponse({"accepted": False}, status=403)
        result = inbound_mail_receive(inbound_mail_from_mailgun(fields), source="mailgun")
        return JsonResponse({"accepted": result.accepted}, status=200 if result.accepted else 406)
