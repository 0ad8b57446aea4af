"""Developer profile: DEBUG on, SQLite in var/ unless DATABASE_URL says otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

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
