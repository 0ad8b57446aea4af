"""Shared fixtures: users per role, marker gating, and a real Celery worker for `broker` tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from kmcs_site.permissions import Role

ROOT = Path(__file__).resolve().parent.parent


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    broker = os.environ.get("CELERY_BROKER_URL", "")
    skip_broker = pytest.mark.skip(reason="CELERY_BROKER_URL 미설정: CI 두 번째 패스에서 실행")
    skip_pg = pytest.mark.skip(reason="PostgreSQL 아님: CI 두 번째 패스에서 실행")
    for item in items:
        if "broker" in item.keywords and not broker:
            item.add_marker(skip_broker)
        if "postgres" in item.keywords and not _is_postgres():
            item.add_marker(skip_pg)


@pytest.fixture
def make_user(db, django_user_model):
    """make_user("agent") -> a staff user in that role group (None role = no group)."""
    counter = {"n": 0}

    def _make(role: str | None, *, username: str | None = None, **extra):
        counter["n"] += 1
        name = username or f"{role or 'nobody'}{counter['n']}"
        user = django_user_model.objects.create_user(
            username=name,
            password="pw-test-1234",
            email=f"{name}@kmcs.example",
            is_staff=extra.pop("is_staff", True),
            **extra,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return _make


@pytest.fixture
def role_users(make_user):
    """One user per role, plus "anonymous" (None)."""
    users = {role.value: make_user(role.value, username=role.value) for role in Role}
    users["anonymous"] = None
    return users


@pytest.fixture
def celery_live_worker(transactional_db):
    """A real Celery worker process on the real broker, reading the test database.

    Only for tests marked ``broker`` (second CI pass: PostgreSQL + Redis). The Celery app in
    this process is switched from eager to the broker for the test's duration.
    """
    from kmcs_site.celery import app

    broker = os.environ["CELERY_BROKER_URL"]
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="kmcs_site.settings.worker_test",
        KMCS_TEST_DB_NAME=db["NAME"],
        CELERY_BROKER_URL=broker,
    )
    app.conf.task_always_eager = False
    app.conf.broker_url = broker
    # Start from an empty queue so an earlier run's leftovers cannot satisfy a test.
    with app.connection_for_write() as conn:
        for queue in settings.KMCS_CELERY_QUEUES:
            conn.default_channel.queue_purge(queue)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kmcs_site",
            "worker",
            "--loglevel=WARNING",
            "--concurrency=2",
            "--pool=prefork",
            "-Q",
            ",".join(settings.KMCS_CELERY_QUEUES),  # every queue (kinds are routed: 17.6)
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=1.0)
            if replies:
                break
            if proc.poll() is not None:
                raise RuntimeError("Celery worker exited at start-up")
        else:
            raise RuntimeError("Celery worker did not answer a ping within 60 s")
        yield proc
    finally:
        app.conf.task_always_eager = True
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``predicate`` until it returns a truthy value (for worker tests); fail on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
