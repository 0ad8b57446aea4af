"""Developer profile: DEBUG on, SQLite in var/ unless DATABASE_URL says otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- SMS through the provider sandbox (issue 16) ----------------------------------------------
# ./bin/dev starts `manage.py kmcs_sandbox` on 127.0.0.1:8025: CEMS and MCRM templates go to its
# NHN Cloud SMS v3.0 endpoints, and it posts signed delivery reports back to this server.
# Any KMCS_SMS_* variable set in the environment wins (a real provider account).
KMCS_SANDBOX_URL = env.str("KMCS_SANDBOX_URL", default="http://127.0.0.1:8025")
KMCS_SMS_GATEWAY_CEMS = env.str(
    "KMCS_SMS_GATEWAY_CEMS", default="templates_app.nhn_sms.NhnCemsGateway"
)
KMCS_SMS_GATEWAY_MCRM = env.str(
    "KMCS_SMS_GATEWAY_MCRM", default="templates_app.nhn_sms.NhnMcrmGateway"
)
for _system, _account in KMCS_SMS_PROVIDERS.items():  # noqa: F405
    _account["url"] = _account["url"] or KMCS_SANDBOX_URL
    _account["app_key"] = _account["app_key"] or f"sandbox-{_system}"
    _account["secret"] = _account["secret"] or "sandbox-secret"
    _account["send_no"] = _account["send_no"] or "0200000000"
KMCS_SMS_CALLBACK_SECRET = env.str("KMCS_SMS_CALLBACK_SECRET", default="dev-sandbox-callback")
KMCS_SANDBOX_SMS_CALLBACK_URL = env.str(
    "KMCS_SANDBOX_SMS_CALLBACK_URL", default="http://127.0.0.1:8000/integrations/sms/reports/"
)

# --- Agit posts and inbound mail through the provider sandbox (issue 16, h24) -----------------
# Agit: the sandbox's webhook (POST /agit/v1/posts). Boards named in KMCS_AGIT_BOARDS keep their
# id; any other board (playbooks' and routes' boards) gets a stable sandbox id, so every post of
# the demo data can be written. KMCS_AGIT_* in the environment wins (a real Agit).
_SANDBOX = env.str("KMCS_SANDBOX_URL", default="http://127.0.0.1:8025")
KMCS_AGIT_WEBHOOK_URL = env.str("KMCS_AGIT_WEBHOOK_URL", default=f"{_SANDBOX}/agit/v1/posts")
KMCS_AGIT_TOKEN = env.str("KMCS_AGIT_TOKEN", default="sandbox-agit-token")


class _SandboxBoards(dict):
    """Board name -> id; an unmapped board gets ``sandbox-<crc32 of the name>`` (dev only)."""

    def get(self, key, default=None):
        import zlib

        return super().get(key) or f"sandbox-{zlib.crc32(str(key).encode()):08x}"


KMCS_AGIT_BOARDS = _SandboxBoards(KMCS_AGIT_BOARDS)  # noqa: F405
# Inbound mail: the sandbox's simulator (http://127.0.0.1:8025/mail/) signs a Mailgun-style
# reply with this key and POSTs it to KMCS_SANDBOX_MAIL_WEBHOOK_URL (this server's webhook).
KMCS_MAILGUN_SIGNING_KEY = env.str("KMCS_MAILGUN_SIGNING_KEY", default="dev-sandbox-mailgun")

# --- Payouts through the provider sandbox's bank (issue 16, h25) ------------------------------
# The 14:00 batch, the account check (계좌실명조회) and the reconciliation speak KFTC open
# banking to the sandbox bank (`manage.py kmcs_sandbox`, started by ./bin/dev), which accepts any
# client secret unless told otherwise. KMCS_OPENBANKING_* / KMCS_BANK_TRANSFER_GATEWAY /
# KMCS_ACCOUNT_VERIFIER in the environment win (a real bank).
KMCS_BANK_TRANSFER_GATEWAY = env.str(
    "KMCS_BANK_TRANSFER_GATEWAY", default="fines.openbanking.OpenBankingTransferGateway"
)
KMCS_ACCOUNT_VERIFIER = env.str(
    "KMCS_ACCOUNT_VERIFIER", default="fines.openbanking.OpenBankingVerifier"
)
KMCS_OPENBANKING_URL = env.str(
    "KMCS_OPENBANKING_URL", default=env.str("KMCS_SANDBOX_URL", default="http://127.0.0.1:8025")
)
KMCS_OPENBANKING_CLIENT_ID = env.str("KMCS_OPENBANKING_CLIENT_ID", default="kmcs-dev")
KMCS_OPENBANKING_CLIENT_SECRET = env.str("KMCS_OPENBANKING_CLIENT_SECRET", default="sandbox-secret")
KMCS_OPENBANKING_CNTR_ACCOUNT = env.str("KMCS_OPENBANKING_CNTR_ACCOUNT", default="1101230000678")
