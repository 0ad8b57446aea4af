# Minimal site hosting django-helpdesk, the peer we race (installed from PyPI, unmodified).
import os

import dj_database_url

BASE = os.path.dirname(__file__)
SECRET_KEY = "peer-bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "hdsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    # CONN_MAX_AGE from the environment, as KMCS reads it: servers.sh gives both apps the same
    # persistent connection per worker (KMCS production keeps one; round 3 of the race).
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE}/../var/peer.sqlite3"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
STATIC_URL = "/static/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
HELPDESK_TEAMS_MODE_ENABLED = False
LOGIN_URL = "helpdesk:login"  # the peer's own login form (Django's default /accounts/login/ is not routed here)
