"""Issue 12 item 4: a dead broker never fails, loses or repeats a user's action.

With ``CELERY_BROKER_URL`` pointing at a dead Redis, a decision committed and queued its SMS,
then the request answered 500 (the after-commit hook was a ``functools.partial``, which
Django's robust on-commit logging cannot name): the admin's bulk decide stopped after the first
case, and a fine intake answered 500 although saved, so the agent's retry filed a duplicate.

These tests commit for real (transactional database) and publish for real, to a TCP port
nothing listens on (Celery *not* eager, no captured callbacks). Then the broker comes back and
the sweeper (``templates_app.message_requeue_stale``) hands over what waited:

- ``in_process``: tasks run in this process (CI's first pass; no Redis needed);
- ``worker``: the real Redis of ``CELERY_BROKER_URL`` and a real Celery worker process (CI's
  second pass, PostgreSQL).

Each run writes its figures to ``test-artifacts/reliability/dead_broker-*.json`` (the README's
"Reliability" section quotes them): actions, errors, SMS lost, SMS sent twice, SMS sent after
recovery, the slowest request during the outage.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from bench.chaos import broker_config, free_port, point_app_at
from tests.conftest import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

SEOUL = ZoneInfo("Asia/Seoul")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability"
#: A request during the outage may take this long at most (it used to hang or fail).
REQUEST_CEILING_SECONDS = 10.0
CASES = 20  # the admin's bulk-decide limit (cases/admin.py DECIDE_BATCH_LIMIT)

RECOVERY = [
    "in_process",
    pytest.param("worker", marks=[pytest.mark.broker, pytest.mark.postgres]),
]


class DownVerifier:
    """The bank's account check does not answer: the payout waits and asks again later (a
    task sent after commit: the second place that publishes from a request)."""

    name = "down"

    def verify(self, *, bank, number, holder):
        from fines.verifiers import VerifierUnavailable

        raise VerifierUnavailable("은행 조회 응답 없음 (테스트)")


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def world(make_user, settings, tmp_path, monkeypatch):
    """Reference data (a transactional test starts from an empty database), staff, and a file
    SMS gateway that this process and a worker both append to (one line per real send)."""
    call_command("kmcs_bootstrap", stdout=io.StringIO())
    from cases.services import staff_profile_set_services

    outbox = tmp_path / "outbox.log"
    for name, value in {
        "KMCS_SMS_GATEWAY": "templates_app.gateways.FileGateway",
        "KMCS_SMS_OUTBOX_PATH": str(outbox),
    }.items():
        monkeypatch.setenv(name, value)  # for a worker started later
        setattr(settings, name, value)
    settings.MEDIA_ROOT = tmp_path / "media"
    lead = make_user("team_lead", username="outage_lead")
    agent = make_user("agent", username="outage_agent")
    staff_profile_set_services(user=agent, services=["driver"], actor=lead)
    return {"lead": lead, "agent": agent, "outbox": outbox}


@contextmanager
def broker_down():
    """This process's Celery app publishes to a port nothing listens on (not eager)."""
    from kmcs_site.celery import app

    saved, eager = broker_config(app), app.conf.task_always_eager
    point_app_at(app, f"redis://127.0.0.1:{free_port()}/0", eager=False)
    try:
        yield
    finally:
        point_app_at(app, saved, eager=eager)


def recover(recovery: str, request) -> None:
    """The broker is back: run the sweeper (as beat would, twice) and let the sends happen."""
    from templates_app import services
    from templates_app.models import OutboundMessage

    if recovery == "worker":
        request.getfixturevalue("celery_live_worker")  # real Redis, a real worker process
    for _ in range(2):
        services.message_requeue_stale(older_than=timedelta(0))
        if recovery == "worker":
            wait_until(
                lambda: (
                    not OutboundMessage.objects.filter(
                        status__in=[OutboundMessage.Status.QUEUED, OutboundMessage.Status.SENDING]
                    ).exists()
                ),
                timeout=90,
            )


def sent_keys(outbox: Path) -> Counter:
    if not outbox.exists():
        return Counter()
    return Counter(json.loads(line)["idempotency_key"] for line in outbox.read_text().splitlines())


def figures(name: str, *, actions: int, errors: int, messages, outbox: Path, slowest: float):
    """What the README reports, from the database and the gateway's own journal."""
    from templates_app.models import OutboundMessage

    keys = sent_keys(outbox)
    ids = [m.pk for m in messages]
    statuses = Counter(OutboundMessage.objects.filter(pk__in=ids).values_list("status", flat=True))
    expected = {m.idempotency_key for m in messages}
    result = {
        "scenario": name,
        "user_actions": actions,
        "errors": errors,
        "sms_queued_during_outage": len(expected),
        "sms_sent_after_recovery": sum(1 for key in expected if keys[key] >= 1),
        "sms_lost": sum(1 for key in expected if keys[key] == 0),
        "sms_sent_twice": sum(1 for key in expected if keys[key] > 1),
        "statuses_after_recovery": dict(statuses),
        "slowest_request_seconds": round(slowest, 2),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"dead_broker-{name}.json").write_text(
        json.dumps(result, indent=1, ensure_ascii=False)
    )
    print(json.dumps(result, ensure_ascii=False))
    return result


def no_error_logs(caplog) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


# --- the enqueue itself (no Redis needed: a dead port is a dead port) ---------------------------


def test_publishing_to_a_dead_port_returns_quickly_and_says_so(caplog):
    from kmcs_site.broker import publish
    from templates_app.tasks import message_send

    with broker_down(), caplog.at_level(logging.WARNING, logger="kmcs_site.broker"):
        started = time.monotonic()
        for _ in range(3):
            assert publish(message_send, (999_999,), what="문자 #999999") is False
        elapsed = time.monotonic() - started
    assert elapsed < 6.0, elapsed  # one try each, no reconnect loop
    warnings = [r for r in caplog.records if r.name == "kmcs_site.broker"]
    assert len(warnings) == 3 and "문자 #999999" in warnings[0].getMessage()


def test_a_committed_message_survives_a_dead_broker_and_the_hook_has_a_name(world, caplog):
    from django.db import connection

    from templates_app import services
    from templates_app.models import OutboundMessage

    with broker_down(), caplog.at_level(logging.WARNING), transaction.atomic():
        message = services.message_queue(
            template_name="대리기사_챗봇게시판_기사미운행건결제취소(승인)",
            recipient="010-0000-3301",
            context={"received_on": datetime(2024, 12, 1).date(), "amount": 15000},
            idempotency_key="outage-unit-1",
            actor=world["lead"],
        )
        hooks = [func for _sids, func, _robust in connection.run_on_commit]
        # Django's robust on-commit logging names the hook: it must have a name.
        assert hooks and all(isinstance(f.__qualname__, str) for f in hooks)
        # Committed, nothing raised.
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED and message.attempts == 0
    assert no_error_logs(caplog) == []
    assert any("문자 #" in r.getMessage() for r in caplog.records if r.name == "kmcs_site.broker")


# --- the user's actions during an outage --------------------------------------------------------


def _nonride_case(lead, n: int):
    from cases.services import case_create

    result = case_create(
        playbook="driver_nonride_cancel",
        facts={
            "received_on": "2024-12-01",
            "driver_id": "drv-3301",
            "call_id": f"33{n:05d}",
            "meter_distance_km": "0.0",
            "meter_minutes": 1,
            "start_equals_last_point": True,
            "fare_amount": 15000,
            "called_on": "2024-11-30",
            "origin": "서울 강남구 테헤란로",
        },
        channel="chatbot_board",
        actor=lead,
        customer_phone=f"010-0000-{4000 + n:04d}",
        driver_phone=f"010-0000-{6000 + n:04d}",
    )
    assert result.created, result.message
    return result.case


@pytest.mark.parametrize("recovery", RECOVERY)
def test_admin_bulk_decide_and_sms_sends_during_an_outage(world, recovery, request, caplog):
    """A lead decides 20 cases at once in the admin (each decision drafts its SMS at the step
    that sends them), then works each case to its SMS step and sends, pressing "send" twice;
    all while the broker is down."""
    from cases.models import Case
    from templates_app.models import OutboundMessage

    lead = world["lead"]
    ids = [_nonride_case(lead, n).pk for n in range(CASES)]
    client = Client(raise_request_exception=False)
    client.force_login(lead)
    url = reverse("admin:cases_case_changelist")
    selection = {"action": "decide_cases", "_selected_action": ids}
    responses = []
    slowest = 0.0

    def timed(post_url, data):
        nonlocal slowest
        started = time.monotonic()
        response = client.post(post_url, data)
        slowest = max(slowest, time.monotonic() - started)
        responses.append(response)
        return response

    with broker_down(), caplog.at_level(logging.WARNING):
        confirm = timed(url, selection)
        assert confirm.status_code == 200
        fingerprints = {
            f"fingerprint_{row['case'].pk}": row["fingerprint"] for row in confirm.context["rows"]
        }
        assert len(fingerprints) == CASES
        decided = timed(url, {**selection, **fingerprints, "apply": "1"})
        assert decided.status_code == 302, decided.status_code  # back to the list, not a 500
        # The lead, unsure, presses again: nothing is decided or drafted twice.
        assert timed(url, {**selection, **fingerprints, "apply": "1"}).status_code in (200, 302)
        assert Case.objects.filter(pk__in=ids, status="decided").count() == CASES
        for case_id in ids:
            for code in ("check_meter", "cancel_payment"):
                step_url = reverse("workspace:case_step", kwargs={"case_id": case_id})
                assert timed(step_url, {"step_code": code}).status_code == 302
            send_url = reverse("workspace:case_step_send", kwargs={"case_id": case_id})
            assert timed(send_url, {"step_code": "send_sms"}).status_code == 302
            assert timed(send_url, {"step_code": "send_sms"}).status_code == 302  # again

    errors = sum(1 for r in responses if r.status_code >= 500)
    assert errors == 0
    assert no_error_logs(caplog) == []
    messages = list(OutboundMessage.objects.filter(object_id__in=ids))
    assert len(messages) == 2 * CASES  # driver + customer per case, none twice
    assert {m.status for m in messages} == {OutboundMessage.Status.QUEUED}
    refused = [r for r in caplog.records if r.name == "kmcs_site.broker"]
    assert len(refused) == 2 * CASES  # each handed over once, refused, logged
    assert sent_keys(world["outbox"]) == Counter()  # nothing sent while the broker was down
    assert slowest < REQUEST_CEILING_SECONDS, slowest

    recover(recovery, request)
    result = figures(
        f"bulk_decide-{recovery}",
        actions=len(responses),
        errors=errors,
        messages=messages,
        outbox=world["outbox"],
        slowest=slowest,
    )
    assert (result["errors"], result["sms_lost"], result["sms_sent_twice"]) == (0, 0, 0)
    assert result["sms_sent_after_recovery"] == 2 * CASES
    assert result["statuses_after_recovery"] == {OutboundMessage.Status.SENT: 2 * CASES}


def _fine_form(call_id: str) -> dict:
    from tests.fines.conftest import notice_image

    return {
        "call_id": call_id,
        "call_type": "own",
        "notice_type": "fine",
        "violation_kind": "general",
        "bank": "088",
        "account_number": "110-000-123456",
        "account_holder": "홍길동",
        "violation_at": "2024-06-15 22:20",
        "violation_place": "서울 강남구 테헤란로",
        "violation_lat": 37.5020,
        "violation_lng": 127.0380,
        "notice_issued_on": "2024-06-20",
        "amount": 40000,
        "customer_phone": "010-0000-1234",
        "notice_image": notice_image(),
    }


@pytest.mark.parametrize("bank", ["bank_answers", "bank_down"])
@pytest.mark.parametrize("recovery", RECOVERY)
def test_fine_intake_during_an_outage(world, recovery, bank, request, settings, caplog):
    from fines.models import FineNotice, FinePayout
    from fines.services import ride_upsert
    from templates_app.models import OutboundMessage

    if bank == "bank_down":
        settings.KMCS_ACCOUNT_VERIFIER = f"{__name__}.DownVerifier"
    agent = world["agent"]
    ride_upsert(
        call_id="700001",
        actor=agent,
        started_at=datetime(2024, 6, 15, 22, 0, tzinfo=SEOUL),
        ended_at=datetime(2024, 6, 15, 22, 40, tzinfo=SEOUL),
        start_lat=37.4979,
        start_lng=127.0276,
        end_lat=37.5045,
        end_lng=127.0490,
        path=[[37.4979, 127.0276], [37.5020, 127.0380], [37.5045, 127.0490]],
        driver_id="drv-0001",
        driver_name="김기사",
        driver_phone="010-0000-5678",
        fare=25000,
    )
    client = Client(raise_request_exception=False)
    client.force_login(agent)
    url = reverse("admin:fines_finenotice_add")

    # The form as the agent's browser has it (its hidden one-time key included).
    key = client.get(url).context["form"]["idempotency_key"].value()
    assert key
    with broker_down(), caplog.at_level(logging.WARNING):
        started = time.monotonic()
        first = client.post(url, {**_fine_form("700001"), "idempotency_key": key})
        slowest = time.monotonic() - started
        # The agent is not sure it went through and submits the same form again.
        started = time.monotonic()
        retry = client.post(url, {**_fine_form("700001"), "idempotency_key": key})
        slowest = max(slowest, time.monotonic() - started)

    errors = sum(1 for r in (first, retry) if r.status_code >= 500)
    assert first.status_code == 302, first.status_code
    assert retry.status_code in (200, 302), retry.status_code
    assert no_error_logs(caplog) == []
    notice = FineNotice.objects.get()  # one notice: the retry filed no duplicate
    payouts = list(FinePayout.objects.filter(notice=notice))
    assert len(payouts) == 1
    if bank == "bank_down":
        # The payout waits for the bank; asking it again was a task the dead broker refused:
        # logged, the request still fine, the daily batch sweeps it.
        assert payouts[0].status == "created"
        assert any(
            "payout_create" in r.getMessage()
            for r in caplog.records
            if r.name == "kmcs_site.broker"
        )
    # Drafts wait for their step; what was released waits in "queued" for the broker.
    messages = list(OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED))
    statuses = set(OutboundMessage.objects.values_list("status", flat=True))
    assert statuses <= {OutboundMessage.Status.QUEUED, OutboundMessage.Status.PLANNED}
    assert slowest < REQUEST_CEILING_SECONDS, slowest

    recover(recovery, request)
    result = figures(
        f"fine_intake-{bank}-{recovery}",
        actions=2,
        errors=errors,
        messages=messages,
        outbox=world["outbox"],
        slowest=slowest,
    )
    assert (result["errors"], result["sms_lost"], result["sms_sent_twice"]) == (0, 0, 0)
    if messages:
        assert result["statuses_after_recovery"] == {OutboundMessage.Status.SENT: len(messages)}
