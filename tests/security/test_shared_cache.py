"""The state that must be shared by every process lives in a shared cache in production.

Three guards keep their state in Django's default cache: the SMS delivery report's replay
guard (a report id is applied once), the API throttles (requests per token and per address)
and the SMS/e-mail circuit breaker. With the local-memory cache each gunicorn worker and
each Celery process has its own copy: a replayed report sent to another worker is applied
again, and the rate limit is multiplied by the number of processes. So the cache comes from
``CACHE_URL`` (``redis://...`` in production), and the production profile refuses to start
with a per-process cache. The test profile keeps the local-memory cache whatever the
environment says, so parallel test workers never share counters.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.production_env import environment, production_env

ROOT = Path(__file__).resolve().parents[2]


def _django(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``code`` run in a fresh process with Django set up under ``env``."""
    program = "import django; django.setup()\n" + code
    return subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _backend(env: dict[str, str]) -> str:
    result = _django(
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])", env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_cache_url_chooses_the_cache_and_unset_is_local_memory():
    base = "kmcs_site.settings.base"
    assert _backend(environment(DJANGO_SETTINGS_MODULE=base, CACHE_URL=None)).endswith(
        "locmem.LocMemCache"
    )
    redis = _backend(environment(DJANGO_SETTINGS_MODULE=base, CACHE_URL="redis://127.0.0.1:6379/3"))
    assert redis == "django.core.cache.backends.redis.RedisCache"


def test_production_refuses_a_per_process_cache_in_plain_words():
    for url in (None, "locmemcache://", "dummycache://"):
        result = _django("", production_env(CACHE_URL=url))
        assert result.returncode != 0
        assert "CACHE_URL" in result.stderr and "redis://" in result.stderr, result.stderr[-800:]
    assert _backend(production_env(CACHE_URL="redis://127.0.0.1:6379/3")).endswith("RedisCache")


def test_the_test_profile_keeps_local_memory_whatever_the_environment_says():
    test_profile = environment(
        DJANGO_SETTINGS_MODULE="kmcs_site.settings.test", CACHE_URL="redis://127.0.0.1:6379/3"
    )
    assert _backend(test_profile).endswith("LocMemCache")


@pytest.mark.broker
def test_with_redis_a_report_id_seen_by_one_process_is_refused_by_another():
    """The delivery report's replay guard across two processes (two gunicorn workers): the
    first process applies report R and a second, separate process is told it is a replay.
    Run against the real Redis of CI's second pass (a database of its own, emptied)."""
    url = os.environ.get("KMCS_TEST_CACHE_URL", "redis://127.0.0.1:6379/13")
    key = f"kmcs:sms:report:test-{uuid.uuid4().hex}"
    add = f"from django.core.cache import cache; print(cache.add({key!r}, 1, timeout=60))"
    env = environment(DJANGO_SETTINGS_MODULE="kmcs_site.settings.base", CACHE_URL=url)
    first, second = _django(add, env), _django(add, env)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert (first.stdout.strip(), second.stdout.strip()) == ("True", "False")
    # The same two processes with the local-memory cache: each sees its own (the old state).
    local = environment(DJANGO_SETTINGS_MODULE="kmcs_site.settings.base", CACHE_URL=None)
    assert _django(add, local).stdout.strip() == _django(add, local).stdout.strip() == "True"
