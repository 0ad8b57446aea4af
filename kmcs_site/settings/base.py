"""Settings shared by every profile.

Everything that differs between machines comes from the environment (django-environ), so the
same code runs on a newcomer's laptop (SQLite, in-process tasks) and in production
(PostgreSQL, Redis broker, Celery workers).
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def _dev_secret_key() -> str:
    """A per-checkout random key kept in var/, so dev sessions survive restarts."""
    VAR_DIR.mkdir(exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
    return key_file.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _dev_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "kmcs_site.admin_site.KmcsAdminConfig",  # django.contrib.admin, KMCS's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    # API tokens: hashed (SHA-512), expiring (REST_KNOX below); replaced rest_framework.authtoken.
    "knox",
    "kmcs_site",
    "partners",
    "templates_app",
    "cases",
    "fines",
    # Center settings leads edit in the admin (cutoff, split, thresholds...; issue 15).
    "rules",
    # In-app notifications and their optional e-mail copy (issue 14 item 5).
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records request.user as history_user on every audited save made during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
]

# django-csp 4: scripts only from our own static files (no inline script, no eval, no CDN); the
# Django admin, Swagger UI and Redoc set inline style attributes, hence 'unsafe-inline' for
# styles only. Redoc runs its search index in a blob: worker. Swagger/Redoc icons are data: URIs.
# A response that sets its own policy (the notice image: "default-src 'none'; sandbox") keeps it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "kmcs_site.urls"
WSGI_APPLICATION = "kmcs_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kmcs_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kmcs.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout keep the embedded default usable with a server and a worker at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# Read replica (issue 17.7; kmcs_site/db_router.py): a PostgreSQL streaming replica for the
# dashboard, audit pages, exports and search. Unset = every read on the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
KMCS_REPLICA_PIN_SECONDS = env.int("KMCS_REPLICA_PIN_SECONDS", default=10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    # Tests: no test database is created on the (read-only) replica; tests/perf/test_replica.py
    # points this alias at the replica's copy of the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["kmcs_site.db_router.ReplicaRouter"]

# Django's cache holds state every process must share: the SMS delivery report's replay guard,
# the API throttles' counters and the SMS/e-mail circuit breaker. ``CACHE_URL`` names it
# (``redis://127.0.0.1:6379/1`` in production: the production profile refuses a per-process
# cache); unset = local memory, enough for one process (./bin/dev, the test suite).
CACHE_URL = env.str("CACHE_URL", default="")
CACHES = {
    "default": env.cache_url_config(CACHE_URL)
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kmcs"}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

# Korean first: the playbooks are written for Seoul, in Korean, in won.
LANGUAGE_CODE = "ko-kr"
LANGUAGES = [("ko", _("한국어")), ("en", _("English"))]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# Case attachments (issue 14.4): their own storage alias, the file system under MEDIA_ROOT by
# default (never served by a public media URL: the workspace checks the case first). With
# KMCS_ATTACHMENTS_S3_BUCKET set they go to an S3-compatible bucket through django-storages
# (optional dependency: pip install -e '.[s3]'; README "Attachments on S3").
KMCS_ATTACHMENTS_S3_BUCKET = env.str("KMCS_ATTACHMENTS_S3_BUCKET", default="")
_ATTACHMENTS_STORAGE = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
}
if KMCS_ATTACHMENTS_S3_BUCKET:
    _ATTACHMENTS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": KMCS_ATTACHMENTS_S3_BUCKET,
            "endpoint_url": env.str("KMCS_ATTACHMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("KMCS_ATTACHMENTS_S3_REGION", default="") or None,
            "access_key": env.str("KMCS_ATTACHMENTS_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("KMCS_ATTACHMENTS_S3_SECRET_KEY", default="") or None,
            "location": env.str("KMCS_ATTACHMENTS_S3_PREFIX", default="kmcs"),
            # Private objects: files are streamed by the workspace, never linked to the bucket.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": _ATTACHMENTS_STORAGE,
}
# Largest attachment accepted, and the most pixels an attached image may declare (a phone
# screenshot is 1-5 Mpx, a photo 12-50 Mpx; a decompression bomb declares far more).
KMCS_ATTACHMENT_MAX_BYTES = env.int("KMCS_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
KMCS_ATTACHMENT_MAX_PIXELS = env.int("KMCS_ATTACHMENT_MAX_PIXELS", default=50_000_000)

# Celery. No broker configured = the embedded default: tasks run in-process, eagerly. Callers
# always enqueue with transaction.on_commit, so "eager" still means "after commit".
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "kmcs"
# Queues by kind (issue 17.6): SMS, e-mail, payouts and clocks each have their own queue, so a
# slow SMS gateway never delays a payout batch or the overdue marks, and each kind gets its own
# worker pool and concurrency (README "Workers per queue"). Everything else (Agit posts, the
# dashboard summary) stays on the default queue. Patterns are Celery's globs on task names.
KMCS_CELERY_QUEUES = (CELERY_TASK_DEFAULT_QUEUE, "sms", "email", "payouts", "clocks")
CELERY_TASK_ROUTES = {
    "templates_app.*": {"queue": "sms"},
    "cases.tasks.case_email_send": {"queue": "email"},
    "cases.tasks.email_requeue_stale": {"queue": "email"},
    "notifications.notification_email_*": {"queue": "email"},
    "fines.tasks.*": {"queue": "payouts"},
    "cases.tasks.clocks_*": {"queue": "clocks"},
}
# A dead broker must never fail or hang a user's request (issue 12; kmcs_site/broker.py): what a
# request hands to Celery is already saved (outbox row, payout row) and a sweeper sends it later.
# So a publish from a request tries once (publish(..., retry=False)), its connection attempt is
# not retried ("max_retries": 0: no reconnect loop until broker_connection_timeout) and a TCP
# connect that gets no answer gives up after 2 s. Workers are unaffected: they connect and
# reconnect with broker_connection_retry / broker_connection_max_retries (Celery's defaults),
# and publishes that pass their own retry policy (task retries) keep it.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "max_retries": 0,
    "socket_connect_timeout": env.float("CELERY_BROKER_SOCKET_CONNECT_TIMEOUT", default=2.0),
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
# drf-spectacular W001: the call-type choices are shared by two playbooks' facts under one
# enum name on purpose (the same codes, the same labels).
SILENCED_SYSTEM_CHECKS = ["drf_spectacular.W001"]
SPECTACULAR_SETTINGS = {
    "TITLE": "KMCS API",
    "DESCRIPTION": "KMCS back office: intake and playbook API",
    "VERSION": "1.0.0",
}

# django-guardian: no anonymous user row; object permissions are for real staff only.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# simple-history: keep the reason field ("change_reason") available on every history row.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
# History is a record, not an undo button: no revert from the admin, for any role.
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- fines --------------------------------------------------------------------------------------
# Traffic fines and payouts (seed 004). The decisions behind these values: fines/README.md.
from celery.schedules import crontab  # noqa: E402

# Daily payout batch (Asia/Seoul). A payout created before the cutoff is paid that day at the
# batch time, otherwise the next day ("어드민 생성 시간에 따라 당일 또는 익일 14시 지급").
KMCS_PAYOUT_CUTOFF = env.str("KMCS_PAYOUT_CUTOFF", default="14:00")
KMCS_PAYOUT_BATCH_TIME = env.str("KMCS_PAYOUT_BATCH_TIME", default="14:00")
# The seed says 당일 또는 익일: calendar days. True moves Saturday/Sunday runs to Monday.
KMCS_PAYOUT_SKIP_WEEKENDS = env.bool("KMCS_PAYOUT_SKIP_WEEKENDS", default=False)
# Fernet keys for account numbers at rest (first encrypts, all decrypt: rotation) and the HMAC
# key of the searchable account hash. Unset = derived from SECRET_KEY (dev/test only: set both
# in production, or rotating SECRET_KEY makes stored accounts unreadable).
KMCS_FIELD_ENCRYPTION_KEYS = env.list("KMCS_FIELD_ENCRYPTION_KEYS", default=[])
KMCS_ACCOUNT_HMAC_KEY = env.str("KMCS_ACCOUNT_HMAC_KEY", default="")
# Key of the search tokens that stand for a full number in URLs (kmcs_site.privacy): a token
# lives as long as the session that made it, so unset (derived from SECRET_KEY) is fine.
KMCS_SEARCH_HMAC_KEY = env.str("KMCS_SEARCH_HMAC_KEY", default="")
# Account validity check: "fines.verifiers.FormatChecksumVerifier" (default, offline) or
# "fines.verifiers.HttpBankVerifier" (the bank's account-holder API at KMCS_BANK_VERIFY_URL).
KMCS_ACCOUNT_VERIFIER = env.str(
    "KMCS_ACCOUNT_VERIFIER", default="fines.verifiers.FormatChecksumVerifier"
)
KMCS_BANK_VERIFY_URL = env.str("KMCS_BANK_VERIFY_URL", default="")
KMCS_BANK_API_TOKEN = env.str("KMCS_BANK_API_TOKEN", default="")
KMCS_BANK_API_TIMEOUT = env.float("KMCS_BANK_API_TIMEOUT", default=5.0)
# Who moves the money in the 14:00 batch. The default records the transfer without a bank
# (dev/test); production points this at the firm-banking adapter.
KMCS_BANK_TRANSFER_GATEWAY = env.str(
    "KMCS_BANK_TRANSFER_GATEWAY", default="fines.gateways.RecordingTransferGateway"
)
# KFTC open-banking adapter (fines/openbanking.py; issue 16 item 4):
# KMCS_BANK_TRANSFER_GATEWAY=fines.openbanking.OpenBankingTransferGateway and
# KMCS_ACCOUNT_VERIFIER=fines.openbanking.OpenBankingVerifier use it. The URL is the bank's API
# (the in-repo sandbox, manage.py kmcs_sandbox, in development); the org code (이용기관코드,
# 10 characters) prefixes every bank_tran_id; the contract account (약정계좌) pays.
KMCS_OPENBANKING_URL = env.str("KMCS_OPENBANKING_URL", default="")
KMCS_OPENBANKING_CLIENT_ID = env.str("KMCS_OPENBANKING_CLIENT_ID", default="")
KMCS_OPENBANKING_CLIENT_SECRET = env.str("KMCS_OPENBANKING_CLIENT_SECRET", default="")
KMCS_OPENBANKING_ORG_CODE = env.str("KMCS_OPENBANKING_ORG_CODE", default="M202600001")
KMCS_OPENBANKING_CNTR_ACCOUNT = env.str("KMCS_OPENBANKING_CNTR_ACCOUNT", default="")
# The contract account's bank (표준코드), for 거래내역조회 by account number; 097 = KFTC testbed.
KMCS_OPENBANKING_CNTR_BANK_CODE = env.str("KMCS_OPENBANKING_CNTR_BANK_CODE", default="097")
KMCS_OPENBANKING_PASS_PHRASE = env.str("KMCS_OPENBANKING_PASS_PHRASE", default="NONE")
KMCS_OPENBANKING_CLIENT_NAME = env.str("KMCS_OPENBANKING_CLIENT_NAME", default="카카오모빌리티")
KMCS_OPENBANKING_TIMEOUT = env.float("KMCS_OPENBANKING_TIMEOUT", default=10.0)
# Uncertain transfers (확인 필요) are asked of the bank (이체결과조회) this often.
KMCS_BANK_RECONCILE_EVERY_SECONDS = env.int("KMCS_BANK_RECONCILE_EVERY_SECONDS", default=600)
CELERY_BEAT_SCHEDULE["fines-payout-reconcile"] = {
    "task": "fines.tasks.payout_reconcile",
    "schedule": float(KMCS_BANK_RECONCILE_EVERY_SECONDS),
}
# The branch account consigned-call drivers (or their company) deposit the fine into.
KMCS_FINE_BRANCH_ACCOUNT = env.str(
    "KMCS_FINE_BRANCH_ACCOUNT", default="과태료(수도) 신한은행 000-000-000000 (placeholder)"
)
# Evidence check thresholds: how far from the ride's path and how long outside its times a
# violation may be and still match the ride.
KMCS_EVIDENCE_MAX_DISTANCE_M = env.int("KMCS_EVIDENCE_MAX_DISTANCE_M", default=300)
KMCS_EVIDENCE_TIME_SLACK_MINUTES = env.int("KMCS_EVIDENCE_TIME_SLACK_MINUTES", default=10)
# After the ride ended the car is parked where the driver left it: a parking violation at the
# end point up to this long after the end still belongs to the ride.
KMCS_EVIDENCE_PARKING_WINDOW_HOURS = env.int("KMCS_EVIDENCE_PARKING_WINDOW_HOURS", default=24)
# Notice images: allowed formats and maximum size.
KMCS_FINE_NOTICE_MAX_BYTES = env.int("KMCS_FINE_NOTICE_MAX_BYTES", default=10 * 1024 * 1024)
KMCS_FINE_NOTICE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# Declared pixels (width x height) a notice may have: a phone photo is 12-50 Mpx; a "bomb" PNG of
# a few hundred bytes declaring 20000x20000 is refused before anything decodes it.
KMCS_FINE_NOTICE_MAX_PIXELS = env.int("KMCS_FINE_NOTICE_MAX_PIXELS", default=50_000_000)
# Customers get this long to send dashcam footage in a disputed parking fine (seed: 2주 정도).
KMCS_DASHCAM_DEADLINE_DAYS = env.int("KMCS_DASHCAM_DEADLINE_DAYS", default=14)
# The batch time is a center setting a lead changes in the admin (rules.CenterSettings, issue
# 15): the beat only ticks every 5 minutes and the task runs today's batch once that time has
# come (once per Seoul day). KMCS_PAYOUT_BATCH_TIME only seeds the first settings row.
CELERY_BEAT_SCHEDULE["fines-payout-batch"] = {
    "task": "fines.tasks.payout_batch_tick",
    "schedule": crontab(minute="*/5"),  # CELERY_TIMEZONE = Asia/Seoul
}

# --- SMS gateway ----------------------------------------------------------------------------
# templates_app: where rendered SMS go (templates_app/gateways.py). Default: the log, nothing
# leaves the machine. "templates_app.gateways.FileGateway" appends JSON lines to
# KMCS_SMS_OUTBOX_PATH (every process sees them); "templates_app.gateways.HttpGateway" posts to
# the provider at KMCS_SMS_HTTP_URL with KMCS_SMS_HTTP_TOKEN.
KMCS_SMS_GATEWAY = env.str("KMCS_SMS_GATEWAY", default="templates_app.gateways.ConsoleGateway")
# Per sending system (a template names CEMS or MCRM): empty = KMCS_SMS_GATEWAY (issue 15, 004).
KMCS_SMS_GATEWAY_CEMS = env.str("KMCS_SMS_GATEWAY_CEMS", default="")
KMCS_SMS_GATEWAY_MCRM = env.str("KMCS_SMS_GATEWAY_MCRM", default="")
KMCS_SMS_OUTBOX_PATH = env.str("KMCS_SMS_OUTBOX_PATH", default=str(VAR_DIR / "outbox.log"))
KMCS_SMS_HTTP_URL = env.str("KMCS_SMS_HTTP_URL", default="")
KMCS_SMS_HTTP_TOKEN = env.str("KMCS_SMS_HTTP_TOKEN", default="")
KMCS_SMS_HTTP_TIMEOUT = env.float("KMCS_SMS_HTTP_TIMEOUT", default=10.0)
# The caller ID registered with the carriers (발신번호 사전등록), passed to the provider.
KMCS_SMS_SENDER = env.str("KMCS_SMS_SENDER", default="")
# Retry backoff: base x 2^(attempt-1) seconds (30, 60, 120, 240), 5 attempts in all.
KMCS_SMS_RETRY_BASE_SECONDS = env.int("KMCS_SMS_RETRY_BASE_SECONDS", default=30)
# --- SMS providers (issue 16): NHN Cloud Notification SMS v3.0 per sending system ------------
# KMCS_SMS_GATEWAY_CEMS=templates_app.nhn_sms.NhnCemsGateway (and ..._MCRM=...NhnMcrmGateway)
# send through these accounts; dev.py points both at the sandbox (manage.py kmcs_sandbox).
KMCS_SMS_PROVIDERS = {
    system: {
        "url": env.str(f"KMCS_SMS_{system.upper()}_URL", default=""),
        "app_key": env.str(f"KMCS_SMS_{system.upper()}_APP_KEY", default=""),
        "secret": env.str(f"KMCS_SMS_{system.upper()}_SECRET", default=""),
        "send_no": env.str(f"KMCS_SMS_{system.upper()}_SEND_NO", default=KMCS_SMS_SENDER),
        # Token bucket per account: messages per second (bursts of as many); 0 = no limit.
        "rate_per_second": env.float(f"KMCS_SMS_{system.upper()}_RATE_PER_SECOND", default=10.0),
    }
    for system in ("cems", "mcrm")
}
# Circuit breaker per account: open after N consecutive transient failures, one probe after
# the cool-down (state in the cache, shared by every worker).
KMCS_SMS_BREAKER_FAILURES = env.int("KMCS_SMS_BREAKER_FAILURES", default=5)
KMCS_SMS_BREAKER_COOLDOWN_SECONDS = env.int("KMCS_SMS_BREAKER_COOLDOWN_SECONDS", default=30)
# Delivery reports: HMAC-SHA256 secret shared with the provider (empty = every callback is
# refused, polling still works), the replay window, and when polling asks about a message.
KMCS_SMS_CALLBACK_SECRET = env.str("KMCS_SMS_CALLBACK_SECRET", default="")
KMCS_SMS_CALLBACK_WINDOW_SECONDS = env.int("KMCS_SMS_CALLBACK_WINDOW_SECONDS", default=300)
KMCS_SMS_REPORT_POLL_AFTER_MINUTES = env.int("KMCS_SMS_REPORT_POLL_AFTER_MINUTES", default=10)
CELERY_BEAT_SCHEDULE["templates_app-message-poll-reports"] = {
    "task": "templates_app.message_poll_reports",
    "schedule": 300.0,
}
# A message "sending" for longer than this is stuck (worker died mid-send): a lead may retry
# it or mark it sent by hand after checking the provider; KMCS never resends it on its own.
KMCS_SMS_STUCK_AFTER_SECONDS = env.int("KMCS_SMS_STUCK_AFTER_SECONDS", default=900)
# Queued messages nobody picked up (broker down at commit, lost retry) go back to Celery.
CELERY_BEAT_SCHEDULE["templates_app-message-requeue-stale"] = {
    "task": "templates_app.message_requeue_stale",
    "schedule": 300.0,
}

# --- api ----------------------------------------------------------------------------------------
# /api/v1/ (cases.api): token auth for machine clients (the integration role), session auth for
# staff in the browser; every view asks kmcs_site.permissions through cases.api.permissions.
REST_FRAMEWORK.update(
    {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            # Token first, so an anonymous call gets 401 with "WWW-Authenticate: Token".
            # django-rest-knox: the database keeps a digest, never the token; tokens expire.
            # kmcs_site.api_tokens.ApiTokenAuthentication: knox's check in one query (17.5).
            "kmcs_site.api_tokens.ApiTokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
        # A view that forgets its permission refuses everyone rather than allowing everyone.
        "DEFAULT_PERMISSION_CLASSES": ["cases.api.permissions.DenyAll"],
        "DEFAULT_PARSER_CLASSES": ["cases.api.parsers.LimitedJSONParser"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "EXCEPTION_HANDLER": "cases.api.errors.api_exception_handler",
        "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
        # Per address first (counts wrong tokens too), then per user/token: JSON 429 with
        # Retry-After. Rates: KMCS_API_THROTTLE_RATES below.
        "DEFAULT_THROTTLE_CLASSES": [
            "cases.api.throttles.ApiIpThrottle",
            "cases.api.throttles.ApiUserThrottle",
        ],
        # The client address is REMOTE_ADDR unless KMCS_TRUSTED_PROXY_COUNT (the number of
        # reverse proxies in front of the app, the same setting the login lockout reads) says
        # which X-Forwarded-For entry from the right is the client's; a client-sent
        # X-Forwarded-For is never trusted by default.
        "NUM_PROXIES": env.int("KMCS_TRUSTED_PROXY_COUNT", default=0),
    }
)
#: Lifetime of an API token issued by ``manage.py kmcs_api_token`` (days; --ttl-days overrides
#: it per token). An expired token answers 401; the operator issues a new one.
KMCS_API_TOKEN_TTL_DAYS = env.int("KMCS_API_TOKEN_TTL_DAYS", default=90)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=KMCS_API_TOKEN_TTL_DAYS),
    # "Authorization: Token <token>", as with DRF's authtoken: clients keep their header.
    "AUTH_HEADER_PREFIX": "Token",
    # No sliding expiry: a token lives its TTL from issue, however often it is used.
    "AUTO_REFRESH": False,
}
#: Requests per period (DRF rate syntax "N/second|minute|hour|day"; empty = no limit).
#: api_user: per token (machine clients) or per logged-in user; api_ip: per client address.
KMCS_API_THROTTLE_RATES = {
    "api_user": env.str("KMCS_API_RATE_USER", default="600/minute") or None,
    "api_ip": env.str("KMCS_API_RATE_IP", default="1200/minute") or None,
}
SPECTACULAR_SETTINGS.update(
    {
        "DESCRIPTION": (
            "KMCS 접수·플레이북 API. 플레이북 시뮬레이터(저장 없음), 케이스 접수(멱등 키, 중복 "
            "접수 409), 케이스 조회·내보내기. 오류 메시지는 한국어입니다."
        ),
        # Swagger UI and Redoc from our own static files (closed network: no CDN).
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
        "SCHEMA_PATH_PREFIX": r"/api/v1",
        "SERVE_PERMISSIONS": ["cases.api.permissions.CanReadSchema"],
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "cases.api.schema.forbid_unknown_request_fields",
        ],
        # Same field name, different choices (a case's channel vs a playbook's channel fact).
        "ENUM_NAME_OVERRIDES": {
            "CaseChannelEnum": "cases.models.choices.Channel",
            "DoublePaymentChannelEnum": "cases.api.schema.double_payment_channels",
        },
    }
)
# Largest JSON body the API reads (bytes); more is refused with 413 before parsing.
KMCS_API_MAX_BODY_BYTES = env.int("KMCS_API_MAX_BODY_BYTES", default=256 * 1024)
#: Batch intake (POST /api/v1/cases/batch/): at most this many cases per request, and a body
#: limit of its own (500 chatbot-board submissions are ~350 KB of JSON).
KMCS_API_BATCH_MAX_CASES = env.int("KMCS_API_BATCH_MAX_CASES", default=500)
KMCS_API_MAX_BATCH_BODY_BYTES = env.int("KMCS_API_MAX_BATCH_BODY_BYTES", default=4 * 1024 * 1024)
# DRF reads a JSON body through request.body, which Django caps at this size (HTML 400 above
# it): at least the largest API limit, so the API's own limits (JSON 413) are the ones that hold.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, KMCS_API_MAX_BODY_BYTES, KMCS_API_MAX_BATCH_BODY_BYTES)
# Cursor pagination of case lists: default and largest page.
KMCS_API_PAGE_SIZE = env.int("KMCS_API_PAGE_SIZE", default=50)
KMCS_API_MAX_PAGE_SIZE = env.int("KMCS_API_MAX_PAGE_SIZE", default=200)
# Exports refuse more rows than this (narrow the filters instead); XLSX has its own sheet limit.
KMCS_EXPORT_MAX_ROWS = env.int("KMCS_EXPORT_MAX_ROWS", default=200_000)
# Bulk import (manage.py import_cases / import_rides): rows per transaction.
KMCS_IMPORT_BATCH_SIZE = env.int("KMCS_IMPORT_BATCH_SIZE", default=500)

# --- clocks ---------------------------------------------------------------------------------
# Step clocks, the overdue job and the lead dashboard (issue 9; cases/services/clocks.py,
# cases/dashboard/). Due times are Asia/Seoul business time on the `holidays` KR calendar.
# Named service levels (rule "service_level:NAME"): promises the seeds make without a number,
# and the default of a step that waits on someone but names no rule (its `waits_on` is the
# name). `team` is seed 003's "담당부서 ... 순차적으로 확인 후 처리": three business days.
# Override from the environment as "team=business_days:2,partner=business_days:1".
KMCS_SERVICE_LEVELS = env.dict(
    "KMCS_SERVICE_LEVELS",
    default={
        "team": "business_days:3",
        "partner": "business_days:2",
        "cpo": "business_days:3",
        "driver": "business_days:1",
        "customer": "days:7",
        "payout_batch": "payout_batch",
    },
)
# Who hears about overdue steps: the case's assignee always, plus these roles (every overdue
# step) and the manager for steps only a manager may do. Pluggable: a class with
# `send(notices)`; the default writes e-mail through Django's EMAIL_BACKEND.
KMCS_OVERDUE_NOTIFIER = env.str(
    "KMCS_OVERDUE_NOTIFIER", default="cases.dashboard.notifiers.EmailNotifier"
)
KMCS_OVERDUE_NOTIFY_ROLES = env.list(
    "KMCS_OVERDUE_NOTIFY_ROLES", default=["team_lead", "deputy_lead"]
)
KMCS_NOTIFY_FROM_EMAIL = env.str("KMCS_NOTIFY_FROM_EMAIL", default="kmcs-noreply@kmcs.example")
# Links in notifications point here (the back office's own address on the closed network).
KMCS_SITE_URL = env.str("KMCS_SITE_URL", default="http://127.0.0.1:8000")
KMCS_OVERDUE_SCAN_SECONDS = env.int("KMCS_OVERDUE_SCAN_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["cases-clocks-mark-overdue"] = {
    "task": "cases.tasks.clocks_mark_overdue",
    "schedule": float(KMCS_OVERDUE_SCAN_SECONDS),
}

# --- security -----------------------------------------------------------------------------------
# Issue 8. Login lockout (django-axes), staff session timeout, and the deploy checks' companions.
# tests/security/ proves each line; the README ("Reliability") explains the choices.
from datetime import timedelta  # noqa: E402

INSTALLED_APPS += ["axes"]
# Read-your-own-write with a replica (issue 17.7): a writing request pins its user's replica
# reads to the primary for a few seconds.
MIDDLEWARE += ["kmcs_site.db_router.PrimaryAfterWriteMiddleware"]
# Last, as django-axes asks: it turns the lockout signal raised during login into the page.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
# First: a locked-out pair (username, IP) is refused before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
# 5 failed logins -> locked for 30 minutes; a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_RESET_ON_SUCCESS = True
# Locked per (username, client IP) pair. By IP alone one mistyping agent would lock the whole
# floor (the center's staff share one office address); by username alone anyone on the network
# could lock a colleague out. The pair stops password guessing on one account from one place.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address behind reverse proxies (issue 12: behind one, axes locked the proxy's
# address). KMCS_TRUSTED_PROXY_COUNT = how many proxies of ours stand in front of Django, each
# appending to X-Forwarded-For; 0 (default) = exposed directly, the header is ignored. The
# client is the N-th address from the right; anything left of it is the client's own claim.
# See kmcs_site/client_ip.py.
KMCS_TRUSTED_PROXY_COUNT = env.int("KMCS_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "kmcs_site.client_ip.client_ip"
# Staff sessions: at most 8 hours (one shift) and gone with the browser, in every profile, so
# the timeout is tested where it is defined. The production profile also renews the session on
# every request (SESSION_SAVE_EVERY_REQUEST: 8 *idle* hours); elsewhere the 8 hours count from
# login, which keeps the pinned query counts of the test suite free of a session write per page.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# axes logs every successful login at INFO ("deleted 0 failed attempts"); lockouts are WARNING.
LOGGING.setdefault("loggers", {})["axes"] = {"level": env.str("AXES_LOG_LEVEL", default="WARNING")}

# --- reliability ----------------------------------------------------------------------------------
# Issue 8: what keeps "nothing lost, nothing sent or paid twice" true when a worker dies mid-send
# (bench/chaos.py, tests/reliability/; decisions in the README ("Reliability")).
# Set True only once the SMS provider is known to deliver one message per idempotency key
# (HttpGateway sends it): then a message stuck in "sending" is asked again, not left to a lead.
KMCS_SMS_HTTP_IDEMPOTENT = env.bool("KMCS_SMS_HTTP_IDEMPOTENT", default=False)
# A bank transfer still "pending" this long after it was requested is settled from the bank's
# own answer for its idempotency key (fines.services.payout_transfers_reconcile, every batch).
KMCS_BANK_RECONCILE_AFTER_SECONDS = env.int("KMCS_BANK_RECONCILE_AFTER_SECONDS", default=900)
# fines.gateways.FileTransferGateway (a bank that honours idempotency keys, journaled for
# counting): the journal every process appends to.
KMCS_BANK_TRANSFER_LOG_PATH = env.str(
    "KMCS_BANK_TRANSFER_LOG_PATH", default=str(VAR_DIR / "bank-transfers.log")
)

# --- case e-mail and Agit posts (issue 16 items 2, 3; cases/services/emails.py, agit.py) --------
# CPO and partner e-mails go out through Django's e-mail framework: any SMTP provider by these
# settings (the profile picks EMAIL_BACKEND: console in dev, SMTP in production).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# Seconds before an SMTP connection or answer is given up (a hung server never hangs a worker).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
# The sender of case mail (seed 001: "Parking CS 공용 메일로 발신 필요") and the domain of our
# Message-IDs (replies quote them in In-Reply-To / References).
KMCS_CASE_EMAIL_FROM = env.str("KMCS_CASE_EMAIL_FROM", default="parking-cs@kmcs.example")
KMCS_EMAIL_MESSAGE_ID_DOMAIN = env.str("KMCS_EMAIL_MESSAGE_ID_DOMAIN", default="kmcs.example")
# Sending attempts per mail for transient SMTP errors (refused, timeout before the message was
# handed over, 4xx); a 5xx answer fails at once.
KMCS_EMAIL_MAX_ATTEMPTS = env.int("KMCS_EMAIL_MAX_ATTEMPTS", default=3)
# Inbound replies (Mailgun routes webhook): the signing key of the account, and how old a
# signed request may be (seconds); a token is accepted once.
KMCS_MAILGUN_SIGNING_KEY = env.str("KMCS_MAILGUN_SIGNING_KEY", default="")
KMCS_INBOUND_MAIL_MAX_AGE = env.int("KMCS_INBOUND_MAIL_MAX_AGE", default=300)
# The mailbox `manage.py kmcs_fetch_mail` reads over IMAP (UNSEEN, marked seen once stored).
KMCS_IMAP_HOST = env.str("KMCS_IMAP_HOST", default="")
KMCS_IMAP_PORT = env.int("KMCS_IMAP_PORT", default=993)
KMCS_IMAP_SSL = env.bool("KMCS_IMAP_SSL", default=True)
KMCS_IMAP_USER = env.str("KMCS_IMAP_USER", default="")
KMCS_IMAP_PASSWORD = env.str("KMCS_IMAP_PASSWORD", default="")
KMCS_IMAP_MAILBOX = env.str("KMCS_IMAP_MAILBOX", default="INBOX")
# Agit posts through an HTTP webhook: empty URL = posts are written by hand (link pasted back).
# Boards by name -> board id: "전기차충전cs=300017093,사후청구 결제취소=300017094".
KMCS_AGIT_WEBHOOK_URL = env.str("KMCS_AGIT_WEBHOOK_URL", default="")
KMCS_AGIT_TOKEN = env.str("KMCS_AGIT_TOKEN", default="")
KMCS_AGIT_BOARDS = env.dict("KMCS_AGIT_BOARDS", default={})
KMCS_AGIT_TIMEOUT = env.float("KMCS_AGIT_TIMEOUT", default=5.0)
KMCS_AGIT_MAX_ATTEMPTS = env.int("KMCS_AGIT_MAX_ATTEMPTS", default=5)
# Sweepers: case mails and Agit posts still "queued" with no change for 10 minutes (their broker
# message was lost) go to Celery again; idempotent (the task claims the row, one key per post).
CELERY_BEAT_SCHEDULE["cases-email-requeue-stale"] = {
    "task": "cases.tasks.email_requeue_stale",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["cases-agit-requeue-stale"] = {
    "task": "cases.tasks.agit_requeue_stale",
    "schedule": 300.0,
}
# Notifications (issue 14 item 5): e-mail copies the broker lost or the mail server refused.
# Their links use KMCS_SITE_URL (any host and port, e.g. http://10.0.0.5:8443); the pages use
# the request's own host.
CELERY_BEAT_SCHEDULE["notifications-email-requeue"] = {
    "task": "notifications.notification_email_requeue",
    "schedule": 300.0,
}
# Dashboard summary (issue 17.4): the days of the cases written in the last minute re-counted.
CELERY_BEAT_SCHEDULE["cases-dashboard-summary-refresh"] = {
    "task": "cases.tasks.dashboard_summary_refresh",
    "schedule": 60.0,
}
# Dev sandbox (kmcs_site/sandbox/mail.py): where its inbound-mail simulator POSTs the signed
# Mailgun-style reply (this server's webhook).
KMCS_SANDBOX_MAIL_WEBHOOK_URL = env.str(
    "KMCS_SANDBOX_MAIL_WEBHOOK_URL", default="http://127.0.0.1:8000/integrations/mail/mailgun/"
)
